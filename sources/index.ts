/** Every source the engine can sync, by the name used in the connections file. */
import type { SourceRegistry } from '../core/connections';
import { kore } from './kore';

// LivePerson and CCAI Platform join as their issues land; until then the config refuses them
// with a plain message rather than a crash.
export const SOURCES: SourceRegistry = { kore };
