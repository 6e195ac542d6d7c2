/**
 * Kore.ai streams, as the vendor documents them (Contact Center AI, WFM Integration APIs).
 * Every call is a POST under /agentassist/api/public/analytics/account/{accountId}/.
 */
import { skipLimit } from '../../core/pagination';
import type { StreamDeclaration } from '../../core/source';
import { DAY, HOUR, MINUTE, toIso } from '../../core/time';
import type { KoreSettings } from './connection';
import { callVolumeRecord, callVolumeResponse } from './schemas';

export const analyticsPath = (settings: KoreSettings, endpoint: string) =>
  `/agentassist/api/public/analytics/account/${encodeURIComponent(settings.accountId)}/${endpoint}`;

/** Contact volume per queue and 15-minute interval (`callvolume`). Pages by skip/limit until `hasMore` is false. */
export const callvolume: StreamDeclaration<KoreSettings> = {
  name: 'callvolume',
  table: 'kore_callvolume',
  kind: 'windowed',
  description: 'Contact volume per queue and 15-minute interval',
  primaryKey: ['_id'],
  key: (r) => ({ _id: String(r._id) }),
  recordSchema: callVolumeRecord,
  responseSchema: callVolumeResponse,
  records: (body) => body.CallVolumeUpdate,
  recordsPath: 'CallVolumeUpdate',
  pagination: skipLimit({ hasMore: (body) => (body as { hasMore?: boolean }).hasMore === true }),
  pageSize: { default: 100, max: 1000 },
  window: {
    // The API states no range limit for call volume; a month keeps each window's page walk short.
    maxSize: 31 * DAY,
    defaultSize: DAY,
    alignment: 15 * MINUTE,
    defaultLag: 10 * MINUTE,
    defaultLookback: HOUR,
  },
  request: ({ settings, window, cursor }) => ({
    method: 'POST',
    path: analyticsPath(settings, 'callvolume'),
    headers: { iId: settings.iId },
    body: {
      orgId: settings.orgId,
      fromTimeStamp: toIso(window.start),
      toTimeStamp: toIso(window.end),
      skip: Number(cursor.skip),
      limit: Number(cursor.limit),
    },
  }),
};
