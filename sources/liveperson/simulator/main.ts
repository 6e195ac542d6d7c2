/**
 * Runs the LivePerson simulator standalone (`npm start` launches it on 4020):
 *   tsx sources/liveperson/simulator/main.ts [port]      (or LIVEPERSON_SIMULATOR_PORT)
 * `DEMO_LIVEPERSON` is the demo account: connections.demo.yaml and the tests use these same
 * values, so the demo connection authenticates against this simulator out of the box.
 */
import { LivePersonSimulator, type LivePersonSimulatorOptions } from './server';

export const LIVEPERSON_SIMULATOR_DEFAULT_PORT = 4020;

/** Demo credentials only: they unlock nothing but the local simulator. */
export const DEMO_LIVEPERSON = {
  accountId: '17434331',
  bearerToken: 'demo-liveperson-bearer-token-for-the-local-simulator-only',
  consumerKey: 'demo-lp-app-key',
  consumerSecret: 'demo-liveperson-consumer-secret-for-the-local-simulator-only',
  token: 'demo-lp-access-token',
  tokenSecret: 'demo-liveperson-token-secret-for-the-local-simulator-only',
  seed: 'liveperson-demo',
} as const;

/** The demo account: intervals are "In Progress" for 5 minutes after they end, like near-real-time processing. */
export function demoLivePersonOptions(overrides: Partial<LivePersonSimulatorOptions> = {}): LivePersonSimulatorOptions {
  return { ...DEMO_LIVEPERSON, processingAgeMs: 5 * 60_000, ...overrides };
}

function portFrom(text: string | undefined): number {
  if (text === undefined || text === '') return LIVEPERSON_SIMULATOR_DEFAULT_PORT;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`not a port: ${text}`);
  return port;
}

export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<LivePersonSimulator> {
  const port = portFrom(argv[0] ?? process.env.LIVEPERSON_SIMULATOR_PORT);
  const host = process.env.LIVEPERSON_SIMULATOR_HOST ?? '127.0.0.1';
  const simulator = new LivePersonSimulator(demoLivePersonOptions());
  const url = await simulator.start(port, host);
  console.log(`LivePerson simulator listening on ${url} (account ${DEMO_LIVEPERSON.accountId})`);
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
