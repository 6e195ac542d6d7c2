/**
 * The launchers' (dev/start.ts, dev/cluster-main.ts) ordered shutdown: on SIGINT/SIGTERM, or when
 * the launcher calls `stopAll` itself, `first` runs (the workers drain), then every registered stop
 * in reverse order of registering (what started last stops first), each failure logged and the
 * rest still stopped; then the process exits. A second call while stopping does nothing.
 */
export interface Stopper {
  /** Something to stop at the end, after whatever was registered later. */
  push(stop: () => Promise<void>): void;
  stopAll(code: number): Promise<void>;
}

export function orderedShutdown(opts: {
  /** The log prefix, e.g. `ccsync`. */
  name: string;
  /** What "stopping" says (after `${name}: `), e.g. that the workers drain first. */
  stopping: string;
  /** Runs before the registered stops (the workers' drain). */
  first: () => Promise<void> | void;
}): Stopper {
  const stops: (() => Promise<void>)[] = [];
  const logError = (err: unknown) => console.error(`${opts.name}: ${String(err)}`);
  let stopping = false;
  const stopAll = async (code: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${opts.name}: ${opts.stopping}`);
    await opts.first();
    for (const stop of stops.reverse()) await stop().catch(logError);
    console.log(`${opts.name}: stopped`);
    process.exit(code);
  };
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));
  return { push: (stop) => void stops.push(stop), stopAll };
}
