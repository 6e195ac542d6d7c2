/**
 * The short form of the durability suite (`npm run test:chaos` runs the full one): real backfills
 * on the real dev server survive a SIGKILLed worker, a restarted Temporal server, a PostgreSQL
 * outage and a misbehaving vendor with no record lost or duplicated; bad inputs and broken files
 * fail at once in plain words; no secret reaches an exported history or a log.
 */
import { durabilitySuite } from '../chaos/suite';

durabilitySuite('short');
