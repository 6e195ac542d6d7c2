/** Every source the engine can sync, by the name used in the connections file. */
import type { SourceRegistry } from '../core/connections';
import { ccaip } from './ccaip';
import { kore } from './kore';
import { liveperson } from './liveperson';

export const SOURCES: SourceRegistry = { kore, liveperson, ccaip };
