/** Every source the engine can sync, by the name used in the connections file. */
import type { SourceRegistry } from '../core/connections';
import { kore } from './kore';
import { liveperson } from './liveperson';

// CCAI Platform joins as its issue lands; until then the config refuses it with a plain message
// rather than a crash.
export const SOURCES: SourceRegistry = { kore, liveperson };
