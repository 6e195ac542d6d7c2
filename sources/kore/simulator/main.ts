/**
 * Runs the Kore.ai simulator standalone (`npm start` launches it on 4010):
 *   tsx sources/kore/simulator/main.ts [port]      (or KORE_SIMULATOR_PORT)
 * `DEMO_KORE` is the demo tenant: connections.demo.yaml and the tests use these same values, so
 * the demo connection authenticates against this simulator out of the box.
 */
import { KoreSimulator, type KoreSimulatorOptions } from './server';

export const KORE_SIMULATOR_DEFAULT_PORT = 4010;

/** Demo credentials only: they unlock nothing but the local simulator. */
export const DEMO_KORE = {
  accountId: '636f5b36bcf8a8c7101e0000',
  orgId: 'o-01aedac2-26fb-5bdb-bb0f-f71292ca0000',
  iId: 'st-b6ff0557-e54b-5ac1-946f-2b003d9e0000',
  clientId: 'cs-demo-kore',
  clientSecret: 'demo-kore-client-secret-for-the-local-simulator-only',
  staticToken: 'demo-kore-static-token',
  seed: 'kore-demo',
} as const;

export function demoKoreOptions(overrides: Partial<KoreSimulatorOptions> = {}): KoreSimulatorOptions {
  return { ...DEMO_KORE, queues: 4, ...overrides };
}

function portFrom(text: string | undefined): number {
  if (text === undefined || text === '') return KORE_SIMULATOR_DEFAULT_PORT;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`not a port: ${text}`);
  return port;
}

export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<KoreSimulator> {
  const port = portFrom(argv[0] ?? process.env.KORE_SIMULATOR_PORT);
  const host = process.env.KORE_SIMULATOR_HOST ?? '127.0.0.1';
  const simulator = new KoreSimulator(demoKoreOptions());
  const url = await simulator.start(port, host);
  console.log(`Kore.ai simulator listening on ${url} (account ${DEMO_KORE.accountId}, iId ${DEMO_KORE.iId})`);
  const shutdown = () => void simulator.stop().then(() => process.exit(0));
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
  return simulator;
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
