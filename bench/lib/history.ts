/**
 * Reads what a backfill left in Temporal's history: every run of the backfill (continue-as-new
 * chain) and of each child window, their event counts, and for each page activity its scheduled,
 * started and completed times next to the httpMs/writeMs/benchExecMs it returned. Children are
 * found through the parent's ChildWorkflowExecutionStarted events and runs through each run's
 * ContinuedAsNew event, so nothing depends on the visibility store.
 */
import type { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { tsToMs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { spread, type Spread } from './stats';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

export interface PageTiming {
  scheduledMs: number;
  startedMs: number;
  completedMs: number;
  httpMs: number;
  writeMs: number;
  /** The activity's wall time inside the worker (bench interceptor), when present. */
  execMs?: number;
  records: number;
  /** Pages this activity walked (1 for a one-page activity; activities/walk.ts walks several). */
  pages: number;
  /** Time since the previous page of the same window run completed (the workflow task in between). */
  gapMs?: number;
}

export interface RunSummary {
  workflowId: string;
  runId: string;
  events: number;
}

export interface HistoryFigures {
  backfillRuns: number;
  windowRuns: number;
  windows: number;
  maxEventsBackfillRun: number;
  maxEventsWindowRun: number;
  totalEvents: number;
  pages: PageTiming[];
  /** One window run's events, ms from its start: where the time goes between pages. */
  sampleTimeline: string[];
  /** Per page, in ms (see the README for each definition). */
  perPage: {
    /** ActivityTaskScheduled → ActivityTaskCompleted. */
    activity?: Spread;
    /** Activity time minus the page's own HTTP and database time, per page (a walk's share spread over its pages). */
    overhead?: Spread;
    /**
     * The measure (#18), per page: what Temporal adds around the activity's own work (its
     * dispatch and completion, activity time minus the activity's wall time in the worker) plus the
     * workflow task before it (the gap), a walk's share spread over its pages.
     */
    orchestration?: Spread;
    /** ActivityTaskScheduled → ActivityTaskStarted. */
    scheduleToStart?: Spread;
    /** Activity time minus the activity's own wall time in the worker: dispatch and completion through Temporal. */
    temporalAround?: Spread;
    /** The activity's own work besides HTTP and database: JSON parsing, validation (the plain loop does it too). */
    compute?: Spread;
    /** Previous page's completion → this page's scheduling (a workflow task in between). */
    gap?: Spread;
    http?: Spread;
    write?: Spread;
  };
  /** Window run start → its first page scheduled, and last page completed → run closed (commit included). */
  perWindow: { startToFirstPage?: Spread; lastPageToClose?: Spread };
}

const ms = (e: HistoryEvent) => tsToMs(e.eventTime);

const EVENT_NAMES = new Map<number, string>(
  Object.entries(temporal.api.enums.v1.EventType).map(([name, value]) => [value as number, name.replace(/^EVENT_TYPE_/, '')]),
);
const eventName = (type: HistoryEvent['eventType']) => EVENT_NAMES.get(Number(type)) ?? String(type);

async function runHistory(client: Client, workflowId: string, runId: string): Promise<HistoryEvent[]> {
  const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  return history.events ?? [];
}

/** Every run of a continue-as-new chain, from its first run. */
async function chain(client: Client, workflowId: string, firstRunId: string, limit = 10_000): Promise<{ runId: string; events: HistoryEvent[] }[]> {
  const runs: { runId: string; events: HistoryEvent[] }[] = [];
  let runId: string | null | undefined = firstRunId;
  while (runId && runs.length < limit) {
    const events = await runHistory(client, workflowId, runId);
    runs.push({ runId, events });
    runId = events[events.length - 1]?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId;
  }
  return runs;
}

async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!);
      }
    }),
  );
  return out;
}

interface PageResult {
  pages?: number;
  records?: number;
  httpMs?: number;
  writeMs?: number;
  benchExecMs?: number;
}

function pagesOf(events: HistoryEvent[]): { pages: PageTiming[]; startedMs?: number; closedMs?: number } {
  const scheduled = new Map<string, { ms: number; type: string }>();
  const started = new Map<string, number>();
  const pages: PageTiming[] = [];
  let startedMs: number | undefined;
  let closedMs: number | undefined;
  for (const e of events) {
    if (e.workflowExecutionStartedEventAttributes) startedMs = ms(e);
    if (e.workflowExecutionCompletedEventAttributes || e.workflowExecutionContinuedAsNewEventAttributes) closedMs = ms(e);
    const s = e.activityTaskScheduledEventAttributes;
    if (s) scheduled.set(String(e.eventId), { ms: ms(e), type: s.activityType?.name ?? '' });
    const st = e.activityTaskStartedEventAttributes;
    if (st) started.set(String(st.scheduledEventId), ms(e));
    const c = e.activityTaskCompletedEventAttributes;
    if (c) {
      const key = String(c.scheduledEventId);
      const sched = scheduled.get(key);
      if (!sched || sched.type !== 'syncPage') continue;
      const payload = c.result?.payloads?.[0];
      const result: PageResult = payload ? defaultPayloadConverter.fromPayload<PageResult>(payload) : {};
      pages.push({
        scheduledMs: sched.ms,
        startedMs: started.get(key) ?? sched.ms,
        completedMs: ms(e),
        httpMs: result.httpMs ?? 0,
        writeMs: result.writeMs ?? 0,
        execMs: result.benchExecMs,
        records: result.records ?? 0,
        pages: result.pages ?? 1,
      });
    }
  }
  pages.sort((a, b) => a.scheduledMs - b.scheduledMs);
  for (let i = 1; i < pages.length; i++) pages[i]!.gapMs = pages[i]!.scheduledMs - pages[i - 1]!.completedMs;
  return { pages, startedMs, closedMs };
}

export async function analyzeBackfill(client: Client, workflowId: string, firstRunId: string): Promise<HistoryFigures> {
  const backfillRuns = await chain(client, workflowId, firstRunId);
  const children: { workflowId: string; runId: string }[] = [];
  for (const run of backfillRuns) {
    for (const e of run.events) {
      const a = e.childWorkflowExecutionStartedEventAttributes;
      if (a?.workflowExecution?.workflowId && a.workflowExecution.runId) {
        children.push({ workflowId: a.workflowExecution.workflowId, runId: a.workflowExecution.runId });
      }
    }
  }
  const windowChains = await mapLimited(children, 8, (c) => chain(client, c.workflowId, c.runId));
  const windowRuns = windowChains.flat();
  const pages: PageTiming[] = [];
  const startToFirstPage: number[] = [];
  const lastPageToClose: number[] = [];
  for (const run of windowRuns) {
    const found = pagesOf(run.events);
    pages.push(...found.pages);
    const first = found.pages[0];
    const last = found.pages[found.pages.length - 1];
    if (first && found.startedMs !== undefined) startToFirstPage.push(first.scheduledMs - found.startedMs);
    if (last && found.closedMs !== undefined) lastPageToClose.push(found.closedMs - last.completedMs);
  }
  // The middle window: past the start-up, before the tail.
  const sample = windowRuns[Math.floor(windowRuns.length / 2)];
  const t0 = sample?.events[0] ? ms(sample.events[0]) : 0;
  const sampleTimeline = (sample?.events ?? []).map((e) => `${(ms(e) - t0).toFixed(1).padStart(8)} ms  ${eventName(e.eventType)}`);
  const withExec = pages.filter((p) => p.execMs !== undefined);
  // Per page: an activity's figure divided by its pages, counted once per page it walked.
  const perPage = (list: PageTiming[], f: (p: PageTiming) => number) => spread(list.flatMap((p) => Array<number>(p.pages).fill(f(p) / p.pages)));
  const backfillEvents = backfillRuns.map((r) => r.events.length);
  const windowEvents = windowRuns.map((r) => r.events.length);
  return {
    backfillRuns: backfillRuns.length,
    windowRuns: windowRuns.length,
    windows: children.length,
    maxEventsBackfillRun: Math.max(0, ...backfillEvents),
    maxEventsWindowRun: Math.max(0, ...windowEvents),
    totalEvents: [...backfillEvents, ...windowEvents].reduce((a, b) => a + b, 0),
    pages,
    sampleTimeline,
    perPage: {
      activity: perPage(pages, (p) => p.completedMs - p.scheduledMs),
      overhead: perPage(pages, (p) => p.completedMs - p.scheduledMs - p.httpMs - p.writeMs),
      orchestration: perPage(withExec, (p) => p.completedMs - p.scheduledMs - p.execMs! + (p.gapMs ?? 0)),
      scheduleToStart: perPage(pages, (p) => p.startedMs - p.scheduledMs),
      temporalAround: perPage(withExec, (p) => p.completedMs - p.scheduledMs - p.execMs!),
      compute: perPage(withExec, (p) => p.execMs! - p.httpMs - p.writeMs),
      gap: perPage(
        pages.filter((p) => p.gapMs !== undefined),
        (p) => p.gapMs!,
      ),
      http: perPage(pages, (p) => p.httpMs),
      write: perPage(pages, (p) => p.writeMs),
    },
    perWindow: { startToFirstPage: spread(startToFirstPage), lastPageToClose: spread(lastPageToClose) },
  };
}
