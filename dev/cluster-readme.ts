/**
 * `npm run cluster:readme`: writes the README's cluster figures from the recorded run files, never
 * by hand: the faults table (test/cluster/last-run.md, written by test/cluster/faults.test.ts), the
 * rolling-deploy figures (test/cluster/last-deploy.json) and the scale figures
 * (bench/cluster-scale.json, written by `npm run cluster:scale`), each between its markers
 * `<!-- cluster:NAME:begin -->` and `<!-- cluster:NAME:end -->`. A missing file leaves its section as is.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..');
export const README = join(ROOT, 'README.md');

function replaceSection(text: string, name: string, body: string): string {
  const begin = `<!-- cluster:${name}:begin -->`;
  const end = `<!-- cluster:${name}:end -->`;
  const i = text.indexOf(begin);
  const j = text.indexOf(end);
  if (i < 0 || j < i) throw new Error(`README.md has no ${begin} ... ${end} section`);
  return `${text.slice(0, i + begin.length)}\n${body.trim()}\n${text.slice(j)}`;
}

interface Percentiles {
  p50: number;
  p95: number;
  count: number;
}

/** bench/cluster-scale.json, as `npm run cluster:scale` writes it. */
export interface ScaleFigures {
  recordedAt: string;
  command: string;
  connections: number;
  scheduleEvery: string;
  simulatedHours: number;
  workers: number;
  historyShards: number;
  incrementalRuns: number;
  failedWorkflows: number;
  windowsCompleted: number;
  wallSeconds: number;
  windowsPerMinute: number;
  scheduleToStartMs: { activity: Percentiles; workflowTask: Percentiles };
  temporalPostgres: { bytesBefore: number; bytesAfter: number; connectionDaysSynced: number; mbPerSyncedConnectionDay: number };
  workerCpu: { secondsPerWorker: number[]; coresAverage: number; cpuMsPerWindow: number };
  rssMb: Record<string, number>;
}

/** test/cluster/last-deploy.json, as test/cluster/rolling-deploy.test.ts writes it. */
export interface DeployFigures {
  recordedAt: string;
  secondsToSwitch: number;
  backfillsFinishedOnB: number;
  windowsStartedOnA: number;
  windowsStartedOnAMovedToB: number;
  windowsTakingThePatchedPath: number;
  runningAtSwitch?: string[];
  recordsChecked: number;
  extraWrites?: number;
  inserts: number;
  lost: number;
  duplicated: number;
  seconds: number;
}

const readJson = <T>(file: string): T | undefined => (existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as T) : undefined);

export function scaleSection(s: ScaleFigures): string {
  const perDay = s.temporalPostgres.mbPerSyncedConnectionDay;
  return [
    `Recorded ${s.recordedAt.slice(0, 16).replace('T', ' ')} UTC by \`${s.command}\` (${s.connections} connections, schedule every ${s.scheduleEvery}, ${s.simulatedHours} h of schedule time compressed with schedule backfill, ${s.workers} workers, ${s.historyShards} history shards, one 2-core machine shared with other work):`,
    '',
    '| figure | value |',
    '|---|---|',
    `| incremental runs (closed / failed) | ${s.incrementalRuns} / ${s.failedWorkflows} |`,
    `| windows completed | ${s.windowsCompleted} in ${s.wallSeconds} s: **${s.windowsPerMinute} windows per minute** |`,
    `| activity schedule-to-start p50 / p95 | ${s.scheduleToStartMs.activity.p50} ms / ${s.scheduleToStartMs.activity.p95} ms (${s.scheduleToStartMs.activity.count} tasks) |`,
    `| workflow task schedule-to-start p50 / p95 | ${s.scheduleToStartMs.workflowTask.p50} ms / ${s.scheduleToStartMs.workflowTask.p95} ms (${s.scheduleToStartMs.workflowTask.count} tasks) |`,
    `| Temporal's PostgreSQL growth | ${((s.temporalPostgres.bytesAfter - s.temporalPostgres.bytesBefore) / 1e6).toFixed(1)} MB for ${s.temporalPostgres.connectionDaysSynced.toFixed(1)} connection-days: **${perDay} MB per synced connection-day** (before retention deletes it) |`,
    `| worker CPU | ${s.workerCpu.secondsPerWorker.join(' / ')} s per worker; ${s.workerCpu.coresAverage} cores on average; ${s.workerCpu.cpuMsPerWindow} ms of CPU per window |`,
    `| Temporal RSS (MB) | ${Object.entries(s.rssMb)
      .map(([k, v]) => `${k} ${String(v)}`)
      .join(', ')} |`,
    ...extrapolation(s),
  ].join('\n');
}

/**
 * What the measured figures mean for 10,000 connections on the same schedule, computed here (not
 * written by hand) so the README's extrapolation always matches the recorded run.
 */
export function extrapolation(s: ScaleFigures, target = 10_000): string[] {
  const everyMin = Number(/^(\d+)m$/.exec(s.scheduleEvery)?.[1] ?? 15);
  const runsPerMin = target / everyMin;
  const windowsPerRun = s.incrementalRuns > 0 ? s.windowsCompleted / s.incrementalRuns : 1;
  const windowsNeeded = runsPerMin * windowsPerRun;
  const perWorker = s.windowsPerMinute / Math.max(1, s.workers);
  const cores = (windowsNeeded * s.workerCpu.cpuMsPerWindow) / 60_000;
  const gbPerDay = (s.temporalPostgres.mbPerSyncedConnectionDay * target) / 1000;
  const fmt = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
  return [
    `| towards ${fmt(target)} connections (computed from the figures above) | |`,
    `| incremental runs needed | ${fmt(runsPerMin)} per minute (${fmt(runsPerMin / 60, 1)} per second), ${fmt(windowsNeeded)} windows per minute at the measured ${fmt(windowsPerRun, 2)} windows per run |`,
    `| workers at the measured rate | ${fmt(perWorker, 1)} windows per minute per worker here: ${fmt(Math.ceil(windowsNeeded / Math.max(perWorker, 0.001)))} workers of this kind, or ${fmt(cores, 1)} cores of worker CPU at ${s.workerCpu.cpuMsPerWindow} ms per window |`,
    `| Temporal's PostgreSQL | ${fmt(gbPerDay, 1)} GB per day of syncing; ${fmt(gbPerDay * 3, 1)} GB held at the 3-day retention |`,
  ];
}

export function deploySection(d: DeployFigures): string {
  return (
    `Recorded ${String(d.recordedAt).slice(0, 16).replace('T', ' ')} UTC by test/cluster/rolling-deploy.test.ts: build B took over ${d.secondsToSwitch} s into the backfills` +
    `${d.runningAtSwitch ? ` (running at the switch: ${d.runningAtSwitch.join(', ')})` : ''}; ` +
    `${d.backfillsFinishedOnB} backfill runs finished on build B; ${d.windowsStartedOnA} windows started on build A, ${d.windowsStartedOnAMovedToB} of them moved to B mid-window; ` +
    `${d.windowsTakingThePatchedPath} windows took the patched path; ${d.recordsChecked} records checked, ${d.inserts} inserts, ${d.extraWrites ?? 0} extra writes, ${d.lost} lost, ${d.duplicated} duplicated; ${d.seconds} s in all.`
  );
}

export const FAULTS_FILE = join(ROOT, 'test', 'cluster', 'last-run.md');
export const DEPLOY_FILE = join(ROOT, 'test', 'cluster', 'last-deploy.json');
export const SCALE_FILE = join(ROOT, 'bench', 'cluster-scale.json');

/** The faults table as recorded, with the run's total time under it. */
export function faultsSection(lastRun: string): string {
  const table = lastRun.trim();
  const header = table
    .split('\n')[0]!
    .split('|')
    .map((c) => c.trim());
  const at = header.indexOf('seconds');
  const rows = table.split('\n').slice(2);
  const total = rows.reduce((n, r) => n + Number(r.split('|')[at]?.trim() ?? 0), 0);
  return `${table}\n\nTotal ${Math.floor(total / 60)} min ${Math.round(total % 60)} s over ${rows.length} faults.`;
}

/** README text with every cluster section whose recorded file exists regenerated from it. */
export function withClusterSections(readme: string): string {
  let text = readme;
  if (existsSync(FAULTS_FILE)) text = replaceSection(text, 'faults', faultsSection(readFileSync(FAULTS_FILE, 'utf8')));
  const deploy = readJson<DeployFigures>(DEPLOY_FILE);
  if (deploy) text = replaceSection(text, 'deploy', deploySection(deploy));
  const scale = readJson<ScaleFigures>(SCALE_FILE);
  if (scale) text = replaceSection(text, 'scale', scaleSection(scale));
  return text;
}

if (require.main === module) {
  const readme = readFileSync(README, 'utf8');
  const next = withClusterSections(readme);
  if (next !== readme) writeFileSync(README, next);
  console.log(next === readme ? 'README.md cluster figures already up to date' : 'README.md cluster figures regenerated from the recorded runs');
}
