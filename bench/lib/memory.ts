/**
 * Where a bench process's memory is, sampled from inside it: RSS split into the main V8 heap,
 * what V8 counts as external (Buffers, ArrayBuffers), and the rest (native: the Temporal Rust
 * core, the workflow thread's own V8 isolate, code, malloc arenas). The RSS the kernel reports
 * (VmHWM) says how much; this says which of the three grew (issue #18's RSS target).
 */
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';

/** One sample, MiB. */
export interface MemorySample {
  rssMb: number;
  heapTotalMb: number;
  heapUsedMb: number;
  externalMb: number;
  arrayBuffersMb: number;
  /** rss − heapTotal − external: memory V8's main heap does not account for. */
  nativeMb: number;
}

export interface MemoryReport {
  /** The sample with the highest RSS. */
  atPeak: MemorySample;
  /** The highest value of each field over the run (not necessarily at the same time). */
  max: MemorySample;
  /** The main isolate's heap limit (--max-old-space-size, or V8's default for this machine). */
  heapLimitMb: number;
  samples: number;
  /** Garbage collection pauses of the main thread over the run: what a heap setting costs in time. */
  gc: { scavenges: number; scavengeMs: number; fullGcs: number; fullGcMs: number };
}

/** Marks the memory report line on a bench process's stdout. */
export const MEMORY_PREFIX = 'CCSYNC_BENCH_MEMORY ';

const mb = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;

export function sampleMemory(): MemorySample {
  const m = process.memoryUsage();
  return {
    rssMb: mb(m.rss),
    heapTotalMb: mb(m.heapTotal),
    heapUsedMb: mb(m.heapUsed),
    externalMb: mb(m.external),
    arrayBuffersMb: mb(m.arrayBuffers),
    nativeMb: mb(m.rss - m.heapTotal - m.external),
  };
}

/** Samples this process every `everyMs` (unref'd: it never keeps the process alive). */
export class MemoryPeak {
  private atPeak = sampleMemory();
  private readonly max: MemorySample = { ...this.atPeak };
  private samples = 1;
  private readonly timer: NodeJS.Timeout;
  private readonly gc = { scavenges: 0, scavengeMs: 0, fullGcs: 0, fullGcMs: 0 };
  private readonly observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = (e as { detail?: { kind?: number } }).detail?.kind;
      if (kind === constants.NODE_PERFORMANCE_GC_MINOR) {
        this.gc.scavenges++;
        this.gc.scavengeMs += e.duration;
      } else if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) {
        this.gc.fullGcs++;
        this.gc.fullGcMs += e.duration;
      }
    }
  });

  constructor(everyMs = 200) {
    this.timer = setInterval(() => this.tick(), everyMs);
    this.timer.unref();
    this.observer.observe({ entryTypes: ['gc'] });
  }

  private tick(): void {
    const s = sampleMemory();
    this.samples++;
    if (s.rssMb > this.atPeak.rssMb) this.atPeak = s;
    for (const k of Object.keys(s) as (keyof MemorySample)[]) this.max[k] = Math.max(this.max[k], s[k]);
  }

  report(): MemoryReport {
    clearInterval(this.timer);
    this.observer.disconnect();
    this.tick();
    const gc = { ...this.gc, scavengeMs: Math.round(this.gc.scavengeMs), fullGcMs: Math.round(this.gc.fullGcMs) };
    return { atPeak: this.atPeak, max: this.max, heapLimitMb: mb(getHeapStatistics().heap_size_limit), samples: this.samples, gc };
  }
}
