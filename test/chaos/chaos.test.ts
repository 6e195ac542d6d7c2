/**
 * `npm run test:chaos`: the full durability suite — more kills, longer outages, more data than the
 * short form in `npm test`. Prints the README's durability table and writes it to test/chaos/last-run.md;
 * appends the run's verdict to test/chaos/runs.json (test/chaos/run-record.ts).
 */
import { join } from 'node:path';
import { durabilitySuite } from './suite';

durabilitySuite('full', { reportFile: join(__dirname, 'last-run.md'), runsFile: join(__dirname, 'runs.json') });
