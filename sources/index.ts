/**
 * Every source the engine can sync, by the name used in the connections file. The one list: the
 * connections file's `source:` choices, the names in messages and the CLI come from it.
 */
import type { SourceRegistry } from '../core/connections';
import { ccaip } from './ccaip';
import { kore } from './kore';
import { liveperson } from './liveperson';

export const SOURCES = { kore, liveperson, ccaip } as const satisfies SourceRegistry;

/** A source's name in the connections file. */
export type SourceName = keyof typeof SOURCES;

export const SOURCE_NAMES = Object.keys(SOURCES) as SourceName[];
