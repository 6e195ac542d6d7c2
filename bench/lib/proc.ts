/**
 * What the benchmark reads about processes, from /proc (Linux): resident memory (VmRSS, and
 * VmHWM, the peak the kernel recorded), CPU time, and the pids of a program (PostgreSQL's backends).
 * Elsewhere every reader answers undefined and the figures say n/a.
 */
import { readdirSync, readFileSync } from 'node:fs';

const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ: 100 on every Linux the benchmark targets

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** VmRSS and VmHWM in MiB. */
export function memoryOf(pid: number): { rssMb: number; peakMb: number } | undefined {
  const status = read(`/proc/${pid}/status`);
  if (!status) return undefined;
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  const rss = kb('VmRSS');
  const hwm = kb('VmHWM');
  if (!Number.isFinite(rss) || !Number.isFinite(hwm)) return undefined;
  return { rssMb: rss / 1024, peakMb: hwm / 1024 };
}

/** User + system CPU time of a process (its threads included), in ms. */
export function cpuMsOf(pid: number): number | undefined {
  const stat = read(`/proc/${pid}/stat`);
  if (!stat) return undefined;
  // The command name may hold spaces and parentheses: fields are counted after its closing one.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) return undefined;
  return ((utime + stime) * 1000) / CLOCK_TICKS_PER_SECOND;
}

/** Pids whose command name (comm) is `name`, e.g. every PostgreSQL process. */
export function pidsNamed(name: string): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    if (read(`/proc/${e}/comm`)?.trim() === name) out.push(Number(e));
  }
  return out;
}

/**
 * CPU time of a group of processes between `start()` and `stop()`. Processes that come and go in
 * between (a PostgreSQL backend per pool connection) are counted from when first seen, so the
 * caller asks `refresh()` now and then (the RSS sampler does).
 */
export class CpuMeter {
  private readonly first = new Map<number, number>();
  private readonly last = new Map<number, number>();

  constructor(private readonly pids: () => number[]) {}

  refresh(): void {
    for (const pid of this.pids()) {
      const ms = cpuMsOf(pid);
      if (ms === undefined) continue;
      if (!this.first.has(pid)) this.first.set(pid, ms);
      this.last.set(pid, ms);
    }
  }

  /** CPU ms used since the first refresh; undefined when nothing could be read. */
  total(): number | undefined {
    if (this.first.size === 0) return undefined;
    let sum = 0;
    for (const [pid, start] of this.first) sum += (this.last.get(pid) ?? start) - start;
    return sum;
  }
}

/** Samples a process's RSS every `everyMs` (bounded: at most `maxSamples`, thinned when full). */
export class RssSampler {
  private timer?: NodeJS.Timeout;
  private readonly samples: { atMs: number; rssMb: number }[] = [];
  private readonly started = performance.now();

  constructor(
    private readonly pid: number,
    private readonly everyMs = 250,
    private readonly onTick?: () => void,
    private readonly maxSamples = 4000,
  ) {}

  start(): this {
    this.tick();
    this.timer = setInterval(() => this.tick(), this.everyMs);
    this.timer.unref();
    return this;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.tick();
  }

  private tick(): void {
    this.onTick?.();
    const m = memoryOf(this.pid);
    if (!m) return;
    this.samples.push({ atMs: performance.now() - this.started, rssMb: m.rssMb });
    // Keep every other sample when full: the series stays evenly spread and bounded.
    if (this.samples.length >= this.maxSamples) {
      for (let i = 1; i < this.samples.length / 2; i++) this.samples[i] = this.samples[i * 2]!;
      this.samples.length = Math.floor(this.samples.length / 2);
    }
  }

  /** RSS (MiB) at 25, 50, 75 and 100 % of the sampled time: flat means continue-as-new works. */
  quartiles(): number[] | undefined {
    if (this.samples.length === 0) return undefined;
    const end = this.samples[this.samples.length - 1]!.atMs;
    return [0.25, 0.5, 0.75, 1].map((q) => {
      const at = end * q;
      let best = this.samples[0]!;
      for (const s of this.samples) if (s.atMs <= at) best = s;
      return round(best.rssMb, 1);
    });
  }

  maxMb(): number | undefined {
    return this.samples.length ? round(Math.max(...this.samples.map((s) => s.rssMb)), 1) : undefined;
  }
}

export function round(n: number, digits = 0): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
