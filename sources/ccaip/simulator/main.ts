/**
 * Runs the CCAI Platform simulator standalone (`npm start` launches it on 4030):
 *   tsx sources/ccaip/simulator/main.ts [port]      (or CCAIP_SIMULATOR_PORT)
 * `DEMO_CCAIP` is the demo tenant: connections.demo.yaml and the tests use these same values, so
 * the demo connection authenticates against this simulator out of the box.
 */
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

function portFrom(text: string | undefined): number {
  if (text === undefined || text === '') return CCAIP_SIMULATOR_DEFAULT_PORT;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`not a port: ${text}`);
  return port;
}

export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<CcaipSimulator> {
  const port = portFrom(argv[0] ?? process.env.CCAIP_SIMULATOR_PORT);
  const host = process.env.CCAIP_SIMULATOR_HOST ?? '127.0.0.1';
  const simulator = new CcaipSimulator(demoCcaipOptions());
  await simulator.start(port, host);
  console.log(`CCAI Platform simulator listening on ${simulator.apiUrl} (tenant ${DEMO_CCAIP.subdomain})`);
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
