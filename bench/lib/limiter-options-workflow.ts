/** The workflow of bench/limiter-options.ts: a backlog of `n` trivial activities, spread over fairness keys. */
import { proxyActivities } from '@temporalio/workflow';

export async function limiterBacklog(n: number, keys: string[]): Promise<void> {
  const all: Promise<void>[] = [];
  for (let i = 0; i < n; i++) {
    const key = keys[i % keys.length]!;
    const { request } = proxyActivities<{ request(key: string): Promise<void> }>({
      startToCloseTimeout: '1 minute',
      scheduleToCloseTimeout: '1 hour',
      priority: { fairnessKey: key },
    });
    all.push(request(key));
  }
  await Promise.all(all);
}
