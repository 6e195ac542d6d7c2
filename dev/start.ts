/**
 * `npm start`: the whole product on one machine. A Temporal dev server persisted under .data/
 * (gRPC 7233, Web UI 8233, our search attributes registered), the vendor simulators on their
 * fixed ports, and the ccsync worker. SIGINT/SIGTERM stop everything it started, in order: the
 * worker drains first, then the simulators, then the server.
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { tryCommands } from './try-commands';
import { demoKoreOptions, KORE_SIMULATOR_DEFAULT_PORT, KoreSimulator } from '../simulators/kore';
import { demoLivePersonOptions, LIVEPERSON_SIMULATOR_DEFAULT_PORT, LivePersonSimulator } from '../simulators/liveperson';
import { CCAIP_SIMULATOR_DEFAULT_PORT, CcaipSimulator, demoCcaipOptions } from '../simulators/ccaip';
import { Client, Connection } from '@temporalio/client';
import { startDevServer, type DevServer } from './dev-server';
import { orderedShutdown } from './stopper';
import { applySchedules } from '../workers/schedules';
import { resolveTemporalCli } from './temporal-cli';
import { createCcsyncWorker, type CcsyncWorker } from '../workers/worker';
import { SecretRegistry } from '../activities/runtime';
import { createLogger, logFormatFrom, TemporalPinoLogger } from '../workers/logging';
import { installTelemetry, METRICS_ADDRESS_ENV } from '../workers/telemetry';

const DATA_DIR = resolve(process.cwd(), process.env.CCSYNC_DATA_DIR ?? '.data');
const GRPC_PORT = Number(process.env.CCSYNC_TEMPORAL_PORT ?? 7233);
const UI_PORT = Number(process.env.CCSYNC_UI_PORT ?? 8233);
// Overridable so a test can run the launcher without the fixed demo ports.
const KORE_PORT = Number(process.env.CCSYNC_KORE_PORT ?? KORE_SIMULATOR_DEFAULT_PORT);
const LIVEPERSON_PORT = Number(process.env.CCSYNC_LIVEPERSON_PORT ?? LIVEPERSON_SIMULATOR_DEFAULT_PORT);
const CCAIP_PORT = Number(process.env.CCSYNC_CCAIP_PORT ?? CCAIP_SIMULATOR_DEFAULT_PORT);

async function main(): Promise<void> {
  mkdirSync(DATA_DIR, { recursive: true });
  let worker: CcsyncWorker | undefined;
  // In reverse order of starting: the worker drains (its last completions reach the server),
  // then the simulators, then the server, which runs in its own process group so a terminal's
  // Ctrl-C reaches only us.
  const stops = orderedShutdown({
    name: 'ccsync',
    stopping: 'stopping (the worker finishes or hands back its in-flight tasks first)...',
    first: () => {
      try {
        worker?.shutdown();
      } catch {
        /* already shutting down on the SDK's own signal handler */
      }
    },
  });

  try {
    const cli = await resolveTemporalCli();
    console.log(`ccsync: Temporal CLI ${cli.path} (${cli.source})`);
    const server: DevServer = await startDevServer({
      cliPath: cli.path,
      port: GRPC_PORT,
      uiPort: UI_PORT,
      dbFilename: resolve(DATA_DIR, 'temporal.db'),
      ownProcessGroup: true,
    });
    stops.push(async () => {
      await server.stop();
      console.log('ccsync: Temporal dev server stopped');
    });
    console.log(`ccsync: Temporal dev server on ${server.address} (pid ${server.process.pid}), history kept in ${DATA_DIR}/temporal.db`);

    const kore = new KoreSimulator(demoKoreOptions());
    console.log(`ccsync: Kore.ai simulator on ${await kore.start(KORE_PORT)}`);
    stops.push(() => kore.stop());
    const liveperson = new LivePersonSimulator(demoLivePersonOptions());
    console.log(`ccsync: LivePerson simulator on ${await liveperson.start(LIVEPERSON_PORT)}`);
    stops.push(() => liveperson.stop());
    const ccaip = new CcaipSimulator(demoCcaipOptions());
    await ccaip.start(CCAIP_PORT);
    console.log(`ccsync: CCAI Platform simulator on ${ccaip.apiUrl}`);
    stops.push(() => ccaip.stop());

    // Metrics on by default here (CCSYNC_METRICS_ADDRESS= turns them off); logs as the worker's.
    process.env[METRICS_ADDRESS_ENV] ??= '127.0.0.1:9464';
    const secrets = new SecretRegistry();
    const { metricsAddress } = installTelemetry({ logger: new TemporalPinoLogger(createLogger({ format: logFormatFrom(), secrets: () => secrets })) });
    if (metricsAddress) console.log(`ccsync: Prometheus metrics on http://${metricsAddress}/metrics`);
    worker = await createCcsyncWorker({ temporal: { address: server.address }, secrets });
    const running = worker.run();
    stops.push(async () => {
      await running;
      const up = server.process.exitCode === null && server.process.signalCode === null;
      console.log(`ccsync: worker drained (Temporal dev server ${up ? 'still up' : 'ALREADY GONE'})`);
    });
    console.log(`ccsync: worker polling task queue "${worker.settings.taskQueue}"; connections from ${worker.runtime.connections.path}`);
    console.log(`ccsync: destination ${worker.runtime.destination.describe}`);

    // The demo connections' schedules, as `ccsync schedules apply` would make them.
    const connection = await Connection.connect({ address: server.address });
    stops.push(() => connection.close());
    const changes = await applySchedules(new Client({ connection }), worker.runtime.connections.all(), { taskQueue: worker.settings.taskQueue });
    for (const c of changes) console.log(`ccsync: schedule ${c.scheduleId} ${c.change}`);
    console.log(`
  Web UI:  ${server.uiUrl ?? 'http://localhost:8233'}
  Try:     ${tryCommands({ cliPath: cli.path, address: server.address, taskQueue: worker.settings.taskQueue }).temporal}
     or:   ${tryCommands({ cliPath: cli.path, address: server.address, taskQueue: worker.settings.taskQueue }).ccsync}
  Stop:    Ctrl-C
`);
    await running;
    // The worker ended on its own (the SDK's signal handler): take the rest down too.
    await stops.stopAll(0);
  } catch (err) {
    console.error(`ccsync: could not start: ${err instanceof Error ? err.message : String(err)}`);
    await stops.stopAll(1);
  }
}

void main();
