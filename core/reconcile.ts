/**
 * Reconciling a window with the vendor's own total (Kore.ai call volume `totalCount`, CCAI
 * Platform's `Total` header). Pure and workflow-safe: `syncWindow` feeds it each page's count and
 * stated total and asks, before recording the window complete, whether the records add up.
 * A window whose records do not add up is read once more (a list that moved while it was walked
 * settles); if it still disagrees, it fails with `TotalMismatch`, naming both numbers.
 */
import type { StatedTotal } from './pagination';

/** Reads of a disagreeing window, the first included, before it fails. */
export const READS_BEFORE_MISMATCH_FAILS = 2;

export interface TotalCheck {
  /** What the vendor states for the query being walked (the latest page's figure). */
  stated?: number;
  /** Where it states it (`totalCount`, `Total header`). */
  field?: string;
  /** Records received since the page that started that query. */
  received: number;
  /** Reads of the window so far (1 on the first walk). */
  reads: number;
  /** How the last completed read came out: absent while the first read is still paging. */
  verdict?: 'agrees' | 'disagrees' | 'no total stated';
  /** The earlier read's figures, when the window was read again. */
  earlier?: { stated: number; received: number };
}

export const newTotalCheck = (): TotalCheck => ({ received: 0, reads: 1 });

/** Counts one page in. A page that starts a query restarts the count; pages before any such page are not counted. */
export function countPage(check: TotalCheck, records: number, total: StatedTotal | undefined): void {
  if (!total) return;
  if (total.firstOfQuery) {
    check.received = 0;
    check.stated = total.stated;
    check.field = total.field;
  }
  if (check.stated === undefined) return;
  check.stated = total.stated;
  check.received += records;
}

/** After the last page of a read: the verdict, recorded in the check. */
export function judge(check: TotalCheck): NonNullable<TotalCheck['verdict']> {
  check.verdict = check.stated === undefined ? 'no total stated' : check.stated === check.received ? 'agrees' : 'disagrees';
  return check.verdict;
}

/** Starts the next read of the window, keeping the disagreeing figures. */
export function readAgain(check: TotalCheck): void {
  check.earlier = { stated: check.stated!, received: check.received };
  check.stated = undefined;
  check.field = undefined;
  check.received = 0;
  check.verdict = undefined;
  check.reads++;
}

/** The failure's message: both numbers, both reads. */
export function mismatchMessage(label: string, check: TotalCheck): string {
  const earlier = check.earlier ? ` (the first read: ${check.earlier.stated} stated, ${check.earlier.received} sent)` : '';
  return (
    `${label}: the vendor states ${check.stated} records (${check.field}) but sent ${check.received}, on ${check.reads} reads${earlier}; ` +
    `the window was not recorded complete`
  );
}
