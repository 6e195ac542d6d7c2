/**
 * Runs the LivePerson simulator standalone (`npm start` launches it on 4020):
 *   tsx simulators/liveperson/main.ts [port]      (or LIVEPERSON_SIMULATOR_PORT)
 * `DEMO_LIVEPERSON` is the demo account: connections.demo.yaml and the tests use these same
 * values, so the demo connection authenticates against this simulator out of the box.
 */
import { runIfMain, runStandalone } from '../kit/main';
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

export function main(argv: readonly string[] = process.argv.slice(2)): Promise<LivePersonSimulator> {
  return runStandalone(argv, {
    env: 'LIVEPERSON_SIMULATOR',
    defaultPort: LIVEPERSON_SIMULATOR_DEFAULT_PORT,
    create: () => new LivePersonSimulator(demoLivePersonOptions()),
    banner: (url) => `LivePerson simulator listening on ${url} (account ${DEMO_LIVEPERSON.accountId})`,
  });
}

runIfMain(module, main);
