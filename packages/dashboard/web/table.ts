/**
 * The overview table's state and what it does to rows: filter by status and text, sort by a
 * column, cut a page; and the URL query that keeps that state. Pure and DOM-free (tested
 * under Node).
 */
import type { SummaryRow } from '../src/api.js';

export type DisplayStatus = SummaryRow['status'];

/** Most urgent first: the order of the status filter and of an ascending status sort. */
export const STATUS_ORDER: readonly DisplayStatus[] = [
  'crashed',
  'stale',
  'failed',
  'interrupted',
  'completed_with_failures',
  'running',
  'completed',
];

const STATUS_RANK = new Map(STATUS_ORDER.map((status, i) => [status, i]));

/** The statuses that need a person: their rows stand out in the table. */
export function isAlarming(status: DisplayStatus): boolean {
  return status === 'crashed' || status === 'stale';
}

export type SortKey =
  | 'run'
  | 'process'
  | 'status'
  | 'progress'
  | 'processed'
  | 'failed'
  | 'rate'
  | 'eta'
  | 'errors'
  | 'interruptions'
  | 'workers'
  | 'updated';

export type SortDir = 'asc' | 'desc';

export const SORT_KEYS: readonly SortKey[] = [
  'run',
  'process',
  'status',
  'progress',
  'processed',
  'failed',
  'rate',
  'eta',
  'errors',
  'interruptions',
  'workers',
  'updated',
];

/** What the overview shows, as kept in its URL. */
export interface OverviewQuery {
  /** Only these statuses; empty for all. */
  statuses: DisplayStatus[];
  /** Only rows whose run or process name contains this (any case); empty for all. */
  text: string;
  sort: SortKey;
  dir: SortDir;
  /** 1-based. */
  page: number;
}

export const DEFAULT_QUERY: Readonly<OverviewQuery> = {
  statuses: [],
  text: '',
  sort: 'status',
  dir: 'asc',
  page: 1,
};

/** Rows per page: enough to scan, few enough that 10,000 runs render at once. */
export const PAGE_SIZE = 100;

/** The first sort direction when a column header is clicked: numbers and times biggest first. */
export function defaultDir(key: SortKey): SortDir {
  return key === 'run' || key === 'process' || key === 'status' ? 'asc' : 'desc';
}

/** The overview's state from a URL query string (`?status=stale,crashed&q=x&sort=rate&dir=desc&page=2`); unknown values fall back to the defaults. */
export function parseQuery(search: string): OverviewQuery {
  const params = new URLSearchParams(search);
  const statuses = (params.get('status') ?? '')
    .split(',')
    .filter((s): s is DisplayStatus => STATUS_RANK.has(s as DisplayStatus));
  const sortParam = params.get('sort');
  const sort = SORT_KEYS.includes(sortParam as SortKey)
    ? (sortParam as SortKey)
    : DEFAULT_QUERY.sort;
  const dirParam = params.get('dir');
  const dir: SortDir = dirParam === 'asc' || dirParam === 'desc' ? dirParam : defaultDir(sort);
  const page = Number.parseInt(params.get('page') ?? '', 10);
  return {
    statuses: [...new Set(statuses)].sort(
      (a, b) => (STATUS_RANK.get(a) ?? 0) - (STATUS_RANK.get(b) ?? 0),
    ),
    text: params.get('q') ?? '',
    sort,
    dir,
    page: Number.isInteger(page) && page >= 1 ? page : 1,
  };
}

/** The URL query string of a state (`''` for the defaults, else starting with `?`). */
export function queryString(query: OverviewQuery): string {
  const params = new URLSearchParams();
  if (query.statuses.length > 0) params.set('status', query.statuses.join(','));
  if (query.text !== '') params.set('q', query.text);
  if (query.sort !== DEFAULT_QUERY.sort || query.dir !== defaultDir(query.sort)) {
    params.set('sort', query.sort);
    params.set('dir', query.dir);
  }
  if (query.page > 1) params.set('page', String(query.page));
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

/** The key of a row in the table and in stream events. */
export function rowKey(runName: string, processName: string): string {
  return `${runName}\u0000${processName}`;
}

/** How many rows have each status. */
export function statusCounts(rows: readonly SummaryRow[]): Record<DisplayStatus, number> {
  const counts = Object.fromEntries(STATUS_ORDER.map((s) => [s, 0])) as Record<
    DisplayStatus,
    number
  >;
  for (const row of rows) counts[row.status] = (counts[row.status] ?? 0) + 1;
  return counts;
}

/** The rows with one of `statuses` (all when empty) whose run or process name contains `text`. */
export function filterRows(
  rows: readonly SummaryRow[],
  statuses: readonly DisplayStatus[],
  text: string,
): SummaryRow[] {
  const wanted = statuses.length === 0 ? null : new Set(statuses);
  const needle = text.trim().toLowerCase();
  return rows.filter(
    (row) =>
      (wanted === null || wanted.has(row.status)) &&
      (needle === '' ||
        row.run_name.toLowerCase().includes(needle) ||
        row.process_name.toLowerCase().includes(needle) ||
        `${row.run_name}/${row.process_name}`.toLowerCase().includes(needle)),
  );
}

/** Progress in percent, or `null` without a total. */
export function progressOf(row: SummaryRow): number | null {
  return row.items_total !== null && row.items_total > 0
    ? Math.min(100, (row.items_processed / row.items_total) * 100)
    : null;
}

function sortValue(row: SummaryRow, key: SortKey): number | string | null {
  switch (key) {
    case 'run':
      return row.run_name;
    case 'process':
      return row.process_name;
    case 'status':
      return STATUS_RANK.get(row.status) ?? STATUS_ORDER.length;
    case 'progress':
      return progressOf(row);
    case 'processed':
      return row.items_processed;
    case 'failed':
      return row.items_failed;
    case 'rate':
      return row.rate_per_second;
    case 'eta':
      return row.eta_seconds;
    case 'errors':
      return row.error_count;
    case 'interruptions':
      return row.interruption_count;
    case 'workers':
      return row.worker_count;
    case 'updated':
      return row.last_update_time;
  }
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * A sorted copy: by `key` in `dir`, rows without a value (no total, no ETA) last either way,
 * ties by run then process so the order never jumps between updates.
 */
export function sortRows(rows: readonly SummaryRow[], key: SortKey, dir: SortDir): SummaryRow[] {
  const sign = dir === 'asc' ? 1 : -1;
  const keyed = rows.map((row) => ({ row, value: sortValue(row, key) }));
  keyed.sort((a, b) => {
    if (a.value !== b.value) {
      if (a.value === null) return 1;
      if (b.value === null) return -1;
      const c =
        typeof a.value === 'string' || typeof b.value === 'string'
          ? compareText(String(a.value), String(b.value))
          : a.value - b.value;
      if (c !== 0) return sign * c;
    }
    return (
      compareText(a.row.run_name, b.row.run_name) ||
      compareText(a.row.process_name, b.row.process_name)
    );
  });
  return keyed.map((k) => k.row);
}

/** One page of `rows`; `page` is clamped to the pages there are. */
export function pageOf<T>(
  rows: readonly T[],
  page: number,
  size: number = PAGE_SIZE,
): { rows: T[]; page: number; pages: number; from: number; to: number } {
  const pages = Math.max(1, Math.ceil(rows.length / size));
  const current = Math.min(Math.max(1, Math.floor(page)), pages);
  const from = (current - 1) * size;
  const slice = rows.slice(from, from + size);
  return { rows: slice, page: current, pages, from: from + 1, to: from + slice.length };
}

/**
 * A stream event as the table applies it. `now` is the server time the event's row was judged
 * at (the event's `now`); a change without it is applied in arrival order.
 */
export type Change =
  | { kind: 'row'; row: SummaryRow; now?: number }
  | { kind: 'gone'; run: string; process: string; now?: number };

/**
 * For each (run, process), the server time (`now`) of the answer or event that brought what
 * the table shows of it, a `gone` included. Only the server's clock orders them: the rows'
 * own times come from the writers' clocks, which may be stepped back or differ by host.
 */
export type JudgedAt = Map<string, number>;

/** The rows a page shows and when the server judged each. */
export interface ShownRows {
  rows: SummaryRow[];
  judgedAt: JudgedAt;
}

/** Whether a change judged at `now` may replace what was judged at `shown`: not older wins. */
function notOlder(now: number | undefined, shown: number | undefined): boolean {
  return now === undefined || shown === undefined || now >= shown;
}

/**
 * Applies stream changes to the rows: a row replaces the one of its run and process (unless
 * the server judged what the table shows after it judged the event's row, e.g. a fetch that
 * answered after the event was sent) or is added; `gone` removes. `judgedAt`, when given, is
 * read and updated in place.
 */
export function applyChanges(
  rows: readonly SummaryRow[],
  changes: Iterable<Change>,
  judgedAt: JudgedAt = new Map(),
): SummaryRow[] {
  const next = rows.slice();
  const index = new Map(next.map((row, i) => [rowKey(row.run_name, row.process_name), i]));
  const removed = new Set<number>();
  for (const change of changes) {
    const key =
      change.kind === 'row'
        ? rowKey(change.row.run_name, change.row.process_name)
        : rowKey(change.run, change.process);
    if (!notOlder(change.now, judgedAt.get(key))) continue;
    if (change.now !== undefined) judgedAt.set(key, change.now);
    const at = index.get(key);
    if (change.kind === 'row') {
      if (at === undefined) {
        index.set(key, next.length);
        next.push(change.row);
      } else {
        next[at] = change.row;
      }
    } else if (at !== undefined) {
      removed.add(at);
      index.delete(key);
    }
  }
  return removed.size === 0 ? next : next.filter((_, i) => !removed.has(i));
}

/**
 * The rows after a fetch of every row judged at `now`: the answer, except for the processes
 * whose stream events the server judged later than the answer (they arrived while it was
 * under way), which stay as those events left them (changed, added or gone).
 */
export function mergeAnswer(
  shown: ShownRows,
  answer: readonly SummaryRow[],
  now: number,
): ShownRows {
  const judgedAt: JudgedAt = new Map();
  const later = new Map<string, SummaryRow | null>();
  for (const [key, at] of shown.judgedAt) {
    if (at > now) {
      judgedAt.set(key, at);
      later.set(key, null);
    }
  }
  for (const row of shown.rows) {
    const key = rowKey(row.run_name, row.process_name);
    if (later.has(key)) later.set(key, row);
  }
  const rows: SummaryRow[] = [];
  for (const row of answer) {
    const key = rowKey(row.run_name, row.process_name);
    if (later.has(key)) continue;
    judgedAt.set(key, now);
    rows.push(row);
  }
  for (const row of later.values()) if (row !== null) rows.push(row);
  return { rows, judgedAt };
}
