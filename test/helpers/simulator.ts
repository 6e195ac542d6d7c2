/**
 * What the simulator unit tests share: a hand-moved clock, simulators started on port 0 and stopped
 * after the file, one keep-alive HTTP agent, and replies read as text and (when they are) JSON.
 */
import { after } from 'node:test';
import { Agent, request } from 'undici';

/** A clock the test moves by hand: pass `clock.now` as a simulator's `now`. */
export class Clock {
  constructor(public t: number) {}
  now = () => this.t;
}

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: any;
}

interface Startable {
  start(): Promise<string>;
  stop(): Promise<void>;
}

/**
 * Simulators for one test file: `start(overrides, clock)` builds one with `create` (the clock
 * defaults to a new one at `now`) and starts it; every simulator started is stopped, and `agent`
 * closed, after the file.
 */
export function simulatorHarness<S extends Startable, O>(now: number, create: (overrides: Partial<O>, clock: Clock) => S) {
  const agent = new Agent({ keepAliveTimeout: 1000 });
  const running = new Set<S>();
  after(async () => {
    for (const s of running) await s.stop();
    await agent.close();
  });

  async function start(overrides: Partial<O> = {}, clock = new Clock(now)): Promise<{ sim: S; url: string; clock: Clock }> {
    const sim = create(overrides, clock);
    const url = await sim.start();
    running.add(sim);
    return { sim, url, clock };
  }

  /** Sends a request through the file's agent; the reply's body is read whole. */
  async function send(url: string | URL, options: { method?: 'GET' | 'POST'; headers?: Record<string, string>; body?: string } = {}): Promise<Reply> {
    const res = await request(url, { method: options.method ?? 'GET', dispatcher: agent, headers: options.headers, body: options.body });
    const text = await res.body.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.statusCode, headers: res.headers, text, json };
  }

  return { agent, start, send };
}
