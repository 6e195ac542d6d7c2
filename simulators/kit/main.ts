/**
 * Running one simulator standalone (`tsx simulators/<vendor>/main.ts [port]`): the port from
 * the first argument, else `<ENV>_PORT`, else the vendor's default; the host from `<ENV>_HOST`
 * (default 127.0.0.1); SIGINT and SIGTERM stop it and exit.
 */

export interface Startable {
  start(port?: number, host?: string): Promise<string>;
  stop(): Promise<void>;
}

export interface StandaloneSimulator<S extends Startable> {
  /** The prefix of its environment variables, e.g. `KORE_SIMULATOR` (KORE_SIMULATOR_PORT, KORE_SIMULATOR_HOST). */
  env: string;
  defaultPort: number;
  create(): S;
  /** The line printed once it listens on `url`. */
  banner(url: string, simulator: S): string;
}

/** A port number from text; `defaultPort` when there is none. */
export function portFrom(text: string | undefined, defaultPort: number): number {
  if (text === undefined || text === '') return defaultPort;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`not a port: ${text}`);
  return port;
}

export async function runStandalone<S extends Startable>(argv: readonly string[], spec: StandaloneSimulator<S>): Promise<S> {
  const port = portFrom(argv[0] ?? process.env[`${spec.env}_PORT`], spec.defaultPort);
  const host = process.env[`${spec.env}_HOST`] ?? '127.0.0.1';
  const simulator = spec.create();
  const url = await simulator.start(port, host);
  console.log(spec.banner(url, simulator));
  const shutdown = () => void simulator.stop().then(() => process.exit(0));
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
  return simulator;
}

/** Runs `main` when `mod` is the program's entry module; a failure prints its message and exits 1. */
export function runIfMain(mod: NodeModule, main: () => Promise<unknown>): void {
  if (require.main !== mod) return;
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
