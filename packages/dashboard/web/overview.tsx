/** The overview: one row per (run, process), filtered, sorted and paged, patched live. */
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { RunsResponse, StreamEvent, SummaryRow, UnusableSummary } from '../src/api.js';
import { noteServerNow } from './clock.js';
import {
  Ago,
  Banner,
  LiveBar,
  markUpdated,
  ProgressBar,
  StatusChip,
  statusWords,
  T,
} from './common.js';
import { escapeControl, formatCount, formatDuration, formatRate } from './format.js';
import { getJson } from './http.js';
import { useStream } from './live.js';
import { navigate, type PageProps } from './nav.js';
import { runHref, streamUrl } from './router.js';
import {
  applyChanges,
  type Change,
  type DisplayStatus,
  defaultDir,
  filterRows,
  isAlarming,
  mergeAnswer,
  type OverviewQuery,
  pageOf,
  parseQuery,
  progressOf,
  queryString,
  rowKey,
  type ShownRows,
  type SortKey,
  STATUS_ORDER,
  sortRows,
  statusCounts,
} from './table.js';

interface Column {
  key: SortKey;
  label: string;
  numeric?: boolean;
  /** Hidden below the phone breakpoint (the table scrolls sideways for the rest). */
  minor?: boolean;
}

const COLUMNS: readonly Column[] = [
  { key: 'run', label: 'Run' },
  { key: 'process', label: 'Process' },
  { key: 'status', label: 'Status' },
  { key: 'progress', label: 'Progress' },
  { key: 'processed', label: 'Processed', numeric: true },
  { key: 'failed', label: 'Failed', numeric: true },
  { key: 'rate', label: 'Rate', numeric: true },
  { key: 'eta', label: 'ETA', numeric: true },
  { key: 'errors', label: 'Errors', numeric: true, minor: true },
  { key: 'interruptions', label: 'Interruptions', numeric: true, minor: true },
  { key: 'updated', label: 'Last update' },
];

export function Overview({ route, live, setLive }: PageProps<'overview'>) {
  const query = useMemo(() => parseQuery(route.search), [route.search]);
  const [data, setData] = useState<RunsResponse | null>(null);
  const [table, setTable] = useState<ShownRows>(() => ({ rows: [], judgedAt: new Map() }));
  const rows = table.rows;
  const [error, setError] = useState<string | null>(null);
  const [updatedAt, setUpdatedAt] = useState<number | null>(null);
  const [streamApplied, setStreamApplied] = useState(0);
  const loading = useRef<{ again: boolean } | null>(null);
  const pending = useRef(new Map<string, Change>());
  const flushTimer = useRef<ReturnType<typeof setTimeout> | null>(null);

  // One fetch at a time; asking during one fetches once more after it (a hello during a load).
  const load = useCallback(async (fromStream: boolean) => {
    if (loading.current !== null) {
      loading.current.again = true;
      return;
    }
    const state = { again: false };
    loading.current = state;
    try {
      const answer = await getJson<RunsResponse>('api/runs');
      noteServerNow(answer.now);
      setData(answer);
      setTable((shown) => mergeAnswer(shown, answer.rows, answer.now));
      setError(null);
      setUpdatedAt(Date.now() / 1000);
      if (fromStream) setStreamApplied((n) => n + 1);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      loading.current = null;
      if (state.again) void load(fromStream);
    }
  }, []);

  useEffect(() => {
    void load(false);
  }, [load]);

  const flush = useCallback(() => {
    flushTimer.current = null;
    const changes = [...pending.current.values()];
    pending.current.clear();
    if (changes.length === 0) return;
    setTable((shown) => {
      const judgedAt = new Map(shown.judgedAt);
      return { rows: applyChanges(shown.rows, changes, judgedAt), judgedAt };
    });
    setUpdatedAt(Date.now() / 1000);
    setStreamApplied((n) => n + 1);
  }, []);

  const onEvent = useCallback(
    (event: StreamEvent) => {
      if (event.type === 'hello') {
        pending.current.clear();
        // A new connection (maybe to a restarted server, whose clock may differ): its fetch
        // replaces every row, ordered only against the events of this connection.
        setTable((shown) => ({ rows: shown.rows, judgedAt: new Map() }));
        void load(true);
        return;
      }
      // Changes wait a moment so a burst becomes one render; one entry per process bounds
      // what waits however long the page is hidden.
      const change: Change =
        event.type === 'row'
          ? { kind: 'row', row: event.row, now: event.now }
          : { kind: 'gone', run: event.run_name, process: event.process_name, now: event.now };
      const key =
        change.kind === 'row'
          ? rowKey(change.row.run_name, change.row.process_name)
          : rowKey(change.run, change.process);
      pending.current.delete(key);
      pending.current.set(key, change);
      if (flushTimer.current === null) flushTimer.current = setTimeout(flush, 16);
    },
    [load, flush],
  );

  useEffect(
    () => () => {
      if (flushTimer.current !== null) clearTimeout(flushTimer.current);
    },
    [],
  );

  const streamState = useStream(streamUrl(), live, onEvent);

  useLayoutEffect(() => {
    if (streamApplied > 0) markUpdated();
  }, [streamApplied]);

  useEffect(() => {
    document.title = 'Runs — process-summary';
  }, []);

  const counts = useMemo(() => statusCounts(rows), [rows]);
  const filtered = useMemo(
    () => filterRows(rows, query.statuses, query.text),
    [rows, query.statuses, query.text],
  );
  const sorted = useMemo(
    () => sortRows(filtered, query.sort, query.dir),
    [filtered, query.sort, query.dir],
  );
  const page = pageOf(sorted, query.page);

  const setQuery = (change: Partial<OverviewQuery>, replace = true) => {
    const next = { ...query, page: 1, ...change };
    navigate(`./${queryString(next)}`, replace);
  };

  return (
    <main class="page overview">
      <header class="page-head">
        <div class="titles">
          <h1>Runs</h1>
          {data !== null && (
            <p class="store muted">
              <T text={data.store} />
            </p>
          )}
        </div>
        <LiveBar
          live={live}
          onToggle={() => setLive(!live)}
          state={streamState}
          updatedAt={updatedAt}
        />
      </header>
      {error !== null && (
        <Banner kind="error">Could not load the runs: {escapeControl(error)}</Banner>
      )}
      <StatusFilter
        counts={counts}
        total={rows.length}
        selected={query.statuses}
        onChange={(statuses) => setQuery({ statuses })}
      />
      <div class="toolbar">
        <label class="search">
          <span>Filter</span>
          <input
            type="search"
            placeholder="run or process"
            value={query.text}
            onInput={(e) => setQuery({ text: (e.currentTarget as HTMLInputElement).value })}
            data-testid="filter-text"
          />
        </label>
        <span class="muted shown" aria-live="polite">
          {filtered.length === rows.length
            ? `${formatCount(rows.length)} processes`
            : `${formatCount(filtered.length)} of ${formatCount(rows.length)} processes`}
        </span>
      </div>
      <div class="table-scroll">
        <table class="runs" data-testid="runs-table">
          <caption class="visually-hidden">
            One row per run and process; column headers sort the table.
          </caption>
          <thead>
            <tr>
              {COLUMNS.map((column) => (
                <SortHeader
                  key={column.key}
                  column={column}
                  query={query}
                  onSort={(key, dir) => setQuery({ sort: key, dir })}
                />
              ))}
            </tr>
          </thead>
          <tbody>
            {page.rows.map((row) => (
              <RunRow key={rowKey(row.run_name, row.process_name)} row={row} />
            ))}
          </tbody>
        </table>
        {data !== null && rows.length === 0 && <p class="empty">No summaries in this store yet.</p>}
        {rows.length > 0 && filtered.length === 0 && (
          <p class="empty">No process matches the filter.</p>
        )}
      </div>
      {page.pages > 1 && (
        <Pager
          page={page.page}
          pages={page.pages}
          from={page.from}
          to={page.to}
          total={sorted.length}
          onPage={(p) => setQuery({ page: p }, false)}
        />
      )}
      {data !== null && data.unusable.length > 0 && <UnusableList items={data.unusable} />}
      {data !== null && data.problems.length > 0 && (
        <section class="problems">
          <h2>What the listing could not look at</h2>
          <ul>
            {data.problems.map((p, i) => (
              <li key={i}>
                <T text={JSON.stringify(p)} />
              </li>
            ))}
          </ul>
        </section>
      )}
    </main>
  );
}

function StatusFilter({
  counts,
  total,
  selected,
  onChange,
}: {
  counts: Record<DisplayStatus, number>;
  total: number;
  selected: readonly DisplayStatus[];
  onChange: (statuses: DisplayStatus[]) => void;
}) {
  const toggle = (status: DisplayStatus) =>
    onChange(
      selected.includes(status)
        ? selected.filter((s) => s !== status)
        : STATUS_ORDER.filter((s) => s === status || selected.includes(s)),
    );
  return (
    <nav class="status-filter" aria-label="Filter by status" data-testid="status-filter">
      <button
        type="button"
        class="filter-chip"
        aria-pressed={selected.length === 0}
        onClick={() => onChange([])}
      >
        all <span class="count">{formatCount(total)}</span>
      </button>
      {STATUS_ORDER.map((status) => (
        <button
          type="button"
          key={status}
          class={`filter-chip filter-${status}${counts[status] > 0 && isAlarming(status) ? ' alarming' : ''}`}
          aria-pressed={selected.includes(status)}
          data-status={status}
          onClick={() => toggle(status)}
          disabled={counts[status] === 0 && !selected.includes(status)}
        >
          <span class={`swatch swatch-${status}`} aria-hidden="true" />
          {statusWords(status)} <span class="count">{formatCount(counts[status])}</span>
        </button>
      ))}
    </nav>
  );
}

function SortHeader({
  column,
  query,
  onSort,
}: {
  column: Column;
  query: OverviewQuery;
  onSort: (key: SortKey, dir: 'asc' | 'desc') => void;
}) {
  const active = query.sort === column.key;
  const ariaSort: 'ascending' | 'descending' | undefined = active
    ? query.dir === 'asc'
      ? 'ascending'
      : 'descending'
    : undefined;
  const next = active ? (query.dir === 'asc' ? 'desc' : 'asc') : defaultDir(column.key);
  return (
    <th
      scope="col"
      aria-sort={ariaSort}
      class={`${column.numeric ? 'num' : ''}${column.minor ? ' minor' : ''}`}
    >
      <button type="button" class="sort" onClick={() => onSort(column.key, next)}>
        {column.label}
        <span class="sort-mark" aria-hidden="true">
          {active ? (query.dir === 'asc' ? '▲' : '▼') : '↕'}
        </span>
      </button>
    </th>
  );
}

function RunRow({ row }: { row: SummaryRow }) {
  const alarming = isAlarming(row.status);
  const cls = alarming ? 'row-alarm' : row.status === 'failed' ? 'row-failed' : undefined;
  return (
    <tr
      class={cls}
      data-testid="run-row"
      data-run={row.run_name}
      data-process={row.process_name}
      data-status={row.status}
    >
      <td class="name">
        <a href={runHref(row.run_name, row.process_name)}>
          <T text={row.run_name} />
        </a>
      </td>
      <td class="name">
        <a href={runHref(row.run_name, row.process_name)}>
          <T text={row.process_name} />
        </a>
        {row.worker_count > 0 && (
          <span class="workers-badge" data-testid="worker-count">
            {formatCount(row.worker_count)} workers
          </span>
        )}
      </td>
      <td>
        <StatusChip status={row.status} title={row.status_reason} />
        {alarming && row.status_reason !== null && (
          <span class="reason">
            <T text={row.status_reason} />
          </span>
        )}
      </td>
      <td>
        <ProgressBar value={progressOf(row)} />
      </td>
      <td class="num" data-testid="processed">
        {formatCount(row.items_processed)}
        {row.items_total !== null && <span class="muted"> / {formatCount(row.items_total)}</span>}
      </td>
      <td class={`num${row.items_failed > 0 ? ' bad' : ''}`} data-testid="failed">
        {formatCount(row.items_failed)}
      </td>
      <td
        class="num"
        title={row.current_rate_per_second !== null ? 'current session' : 'whole run'}
      >
        {formatRate(row.rate_per_second)}
      </td>
      <td class="num">{formatDuration(row.eta_seconds)}</td>
      <td class="num minor">{formatCount(row.error_count)}</td>
      <td class={`num minor${row.interruption_count > 0 ? ' warn' : ''}`}>
        {formatCount(row.interruption_count)}
      </td>
      <td>
        <Ago time={row.last_update_time} />
      </td>
    </tr>
  );
}

function Pager({
  page,
  pages,
  from,
  to,
  total,
  onPage,
}: {
  page: number;
  pages: number;
  from: number;
  to: number;
  total: number;
  onPage: (page: number) => void;
}) {
  return (
    <nav class="pager" aria-label="Pages">
      <button type="button" onClick={() => onPage(1)} disabled={page === 1}>
        « First
      </button>
      <button type="button" onClick={() => onPage(page - 1)} disabled={page === 1}>
        ‹ Previous
      </button>
      <span class="muted">
        {formatCount(from)}–{formatCount(to)} of {formatCount(total)} (page {formatCount(page)} of{' '}
        {formatCount(pages)})
      </span>
      <button type="button" onClick={() => onPage(page + 1)} disabled={page === pages}>
        Next ›
      </button>
      <button type="button" onClick={() => onPage(pages)} disabled={page === pages}>
        Last »
      </button>
    </nav>
  );
}

function UnusableList({ items }: { items: readonly UnusableSummary[] }) {
  return (
    <section class="unusable" data-testid="unusable">
      <h2>Summaries that cannot be shown ({formatCount(items.length)})</h2>
      <div class="table-scroll">
        <table>
          <thead>
            <tr>
              <th scope="col">Run</th>
              <th scope="col">Process</th>
              <th scope="col">Worker</th>
              <th scope="col">Why</th>
              <th scope="col">Message</th>
            </tr>
          </thead>
          <tbody>
            {items.map((u) => (
              <tr key={u.location} data-run={u.run_name} data-process={u.process_name}>
                <td class="name">
                  <T text={u.run_name} />
                </td>
                <td class="name">
                  <T text={u.process_name} />
                </td>
                <td class="name">
                  <T text={u.worker} />
                </td>
                <td>
                  <span class={`chip chip-unusable`}>
                    {u.status === 'needs_repair' ? 'needs repair' : u.status}
                  </span>
                </td>
                <td class="message">
                  <T text={u.message} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
