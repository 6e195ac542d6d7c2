/**
 * Runs the CCAI Platform simulator standalone (`npm start` launches it on 4030):
 *   tsx simulators/ccaip/main.ts [port]      (or CCAIP_SIMULATOR_PORT)
 * `DEMO_CCAIP` is the demo tenant: connections.demo.yaml and the tests use these same values, so
 * the demo connection authenticates against this simulator out of the box.
 */
import { runIfMain, runStandalone } from '../kit/main';
import { CcaipSimulator, type CcaipSimulatorOptions } from './server';

export const CCAIP_SIMULATOR_DEFAULT_PORT = 4030;

/** Demo credentials only: they unlock nothing but the local simulator. */
export const DEMO_CCAIP = {
  subdomain: 'acme-demo',
  apiToken: 'demo-ccaip-api-token-for-the-local-simulator-only',
  companyKey: 'demo-ccaip-company-key',
  companySecret: 'demo-ccaip-company-secret-for-the-local-simulator-only',
  seed: 'ccaip-demo',
} as const;

/** The demo tenant on the real clock: a week of history, new calls and chats as time passes. */
export function demoCcaipOptions(overrides: Partial<CcaipSimulatorOptions> = {}): CcaipSimulatorOptions {
  return { ...DEMO_CCAIP, ...overrides };
}

export function main(argv: readonly string[] = process.argv.slice(2)): Promise<CcaipSimulator> {
  return runStandalone(argv, {
    env: 'CCAIP_SIMULATOR',
    defaultPort: CCAIP_SIMULATOR_DEFAULT_PORT,
    create: () => new CcaipSimulator(demoCcaipOptions()),
    banner: (_url, simulator) => `CCAI Platform simulator listening on ${simulator.apiUrl} (tenant ${DEMO_CCAIP.subdomain})`,
  });
}

runIfMain(module, main);
