/**
 * Runs the Kore.ai simulator standalone (`npm start` launches it on 4010):
 *   tsx simulators/kore/main.ts [port]      (or KORE_SIMULATOR_PORT)
 * `DEMO_KORE` is the demo tenant: connections.demo.yaml and the tests use these same values, so
 * the demo connection authenticates against this simulator out of the box.
 */
import { runIfMain, runStandalone } from '../kit/main';
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

export function main(argv: readonly string[] = process.argv.slice(2)): Promise<KoreSimulator> {
  return runStandalone(argv, {
    env: 'KORE_SIMULATOR',
    defaultPort: KORE_SIMULATOR_DEFAULT_PORT,
    create: () => new KoreSimulator(demoKoreOptions()),
    banner: (url) => `Kore.ai simulator listening on ${url} (account ${DEMO_KORE.accountId}, iId ${DEMO_KORE.iId})`,
  });
}

runIfMain(module, main);
