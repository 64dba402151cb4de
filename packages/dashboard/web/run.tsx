/** A run page: one process (its workers merged) or one worker, in detail, kept live. */
import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import type {
  DetailView,
  RunResponse,
  StreamEvent,
  TimelineResponse,
  UnusableSummary,
} from '../src/api.js';
import { Chart, ChartText } from './chart.js';
import { noteServerNow, useTick } from './clock.js';
import { Ago, Banner, LiveBar, markUpdated, ProgressBar, StatusChip, T } from './common.js';
import {
  escapeControl,
  formatBytes,
  formatCount,
  formatDuration,
  formatPercent,
  formatRate,
  formatSpan,
  formatTime,
  isRelativeTime,
} from './format.js';
import { FetchError, getJson } from './http.js';
import { useStream } from './live.js';
import type { PageProps } from './nav.js';
import { runApi, runHref, streamUrl } from './router.js';

/** The timeline is the costly answer: at most one fetch of it per this many milliseconds. */
const TIMELINE_EVERY_MS = 2000;

type SessionView = DetailView['sessions'][number] & { worker: string | null };

/**
 * Runs `task` now, or once more after the run in flight ends; with `minGapMs`, not sooner
 * than that after the previous start. Requests while one waits or runs fold into one.
 */
function useCoalesced(task: () => Promise<void>, minGapMs = 0): () => void {
  const state = useRef({ running: false, again: false, last: 0, timer: null as Timer | null });
  const taskRef = useRef(task);
  taskRef.current = task;
  useEffect(
    () => () => {
      if (state.current.timer !== null) clearTimeout(state.current.timer);
    },
    [],
  );
  return useCallback(() => {
    const s = state.current;
    const schedule = () => {
      if (s.timer !== null) return;
      const wait = Math.max(0, s.last + minGapMs - Date.now());
      if (wait === 0) start();
      else s.timer = setTimeout(start, wait);
    };
    const start = () => {
      s.timer = null;
      if (s.running) {
        s.again = true;
        return;
      }
      s.running = true;
      s.last = Date.now();
      void taskRef.current().finally(() => {
        s.running = false;
        if (s.again) {
          s.again = false;
          schedule();
        }
      });
    };
    schedule();
  }, [minGapMs]);
}

type Timer = ReturnType<typeof setTimeout>;

export function RunPage({ route, live, setLive }: PageProps<'run'>) {
  const { run, process, worker } = route;
  const [answer, setAnswer] = useState<RunResponse | null>(null);
  const [timeline, setTimeline] = useState<TimelineResponse | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [missing, setMissing] = useState(false);
  const [updatedAt, setUpdatedAt] = useState<number | null>(null);
  const [streamApplied, setStreamApplied] = useState(0);
  const fromStream = useRef(false);
  // The page is mounted per route (see main.tsx); an answer arriving after it left is dropped.
  const gone = useRef(false);
  useEffect(
    () => () => {
      gone.current = true;
    },
    [],
  );

  const loadDetail = useCoalesced(async () => {
    const stream = fromStream.current;
    try {
      const got = await getJson<RunResponse>(runApi(run, process, worker), undefined, true);
      if (gone.current) return;
      noteServerNow(got.now);
      setAnswer(got);
      setMissing(got.detail === null && got.unusable.length === 0);
      setError(null);
      setUpdatedAt(Date.now() / 1000);
      if (stream) setStreamApplied((n) => n + 1);
    } catch (e) {
      if (gone.current) return;
      if (e instanceof FetchError && e.status === 404) {
        setMissing(true);
        setAnswer(null);
        setError(null);
      } else {
        setError((e as Error).message);
      }
    }
  });

  const loadTimeline = useCoalesced(async () => {
    try {
      const got = await getJson<TimelineResponse>(runApi(run, process, worker, '/timeline'));
      if (gone.current) return;
      setTimeline(got);
    } catch (e) {
      if (gone.current) return;
      if (!(e instanceof FetchError && e.status === 404)) setError((e as Error).message);
    }
  }, TIMELINE_EVERY_MS);

  useEffect(() => {
    loadDetail();
    loadTimeline();
  }, [loadDetail, loadTimeline]);

  const onEvent = useCallback(
    (event: StreamEvent) => {
      if (event.type === 'gone') {
        if (event.run_name === run && event.process_name === process) setMissing(true);
        return;
      }
      if (
        event.type === 'row' &&
        (event.row.run_name !== run || event.row.process_name !== process)
      ) {
        return;
      }
      fromStream.current = true;
      loadDetail();
      loadTimeline();
    },
    [run, process, loadDetail, loadTimeline],
  );

  const streamState = useStream(streamUrl(run, process), live, onEvent);

  useLayoutEffect(() => {
    if (streamApplied > 0) markUpdated();
  }, [streamApplied]);

  useEffect(() => {
    document.title = `${escapeControl(run)} / ${escapeControl(process)}${worker === null ? '' : ` (${escapeControl(worker)})`} — process-summary`;
  }, [run, process, worker]);

  const detail = answer?.detail ?? null;

  return (
    <main class="page run">
      <nav class="crumbs">
        <a href="./" data-testid="back">
          ← All runs
        </a>
        {worker !== null && (
          <>
            {' · '}
            <a href={runHref(run, process)}>all workers of this process</a>
          </>
        )}
      </nav>
      <header class="page-head">
        <div class="titles">
          <h1>
            <span class="name">
              <T text={run} />
            </span>
            <span class="sep"> / </span>
            <span class="name">
              <T text={process} />
            </span>
            {worker !== null && (
              <span class="worker">
                {' '}
                worker <T text={worker} />
              </span>
            )}
          </h1>
          {detail !== null && (
            <p class="status-line">
              <StatusChip status={detail.status} />
              {detail.status_reason !== null && (
                <span class="reason" data-testid="status-reason">
                  <T text={detail.status_reason} />
                </span>
              )}
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
        <Banner kind="error">Could not load this run: {escapeControl(error)}</Banner>
      )}
      {missing && (
        <Banner kind="warning">
          There is no summary of this process{worker === null ? '' : ' worker'} in the store (any
          more).
        </Banner>
      )}
      {answer !== null && answer.unusable.length > 0 && <Unusable items={answer.unusable} />}
      {detail !== null && (
        <>
          {detail.seed_format && (
            <p class="note muted">
              Written by the Python original: its times count from the start of the run.
            </p>
          )}
          <Counters detail={detail} />
          <section class="card">
            <h2>Throughput</h2>
            {timeline === null ? (
              <p class="muted">Loading the timeline…</p>
            ) : timeline.points.length === 0 ? (
              <>
                <div class="chart chart-empty" data-testid="chart">
                  No progress recorded yet.
                </div>
                <ChartText timeline={timeline} />
              </>
            ) : (
              <>
                <Chart timeline={timeline} />
                <ChartText timeline={timeline} />
              </>
            )}
          </section>
          <Errors detail={detail} />
          <Sessions detail={detail} />
          {detail.workers.length > 0 && <Workers detail={detail} run={run} process={process} />}
          <Metrics detail={detail} />
          <RecentProgress detail={detail} />
        </>
      )}
      {answer === null && error === null && !missing && <p class="muted">Loading…</p>}
    </main>
  );
}

function Counter({
  label,
  children,
  testid,
  tone,
}: {
  label: string;
  children: ComponentChildren;
  testid?: string;
  tone?: 'bad' | 'warn';
}) {
  return (
    <div class={`counter${tone === undefined ? '' : ` ${tone}`}`}>
      <dt>{label}</dt>
      <dd data-testid={testid}>{children}</dd>
    </div>
  );
}

function Counters({ detail }: { detail: DetailView }) {
  const now = useTick();
  const live = detail.status === 'running';
  // A run still going has no stored duration: count it up (only on the epoch clock).
  const duration =
    detail.duration_seconds ??
    (live && !isRelativeTime(detail.start_time)
      ? now - detail.start_time
      : detail.end_time !== null
        ? detail.end_time - detail.start_time
        : detail.active_seconds);
  return (
    <section class="card">
      <h2 class="visually-hidden">Counters</h2>
      {detail.progress_percent !== null && (
        <div class="big-progress">
          <ProgressBar value={detail.progress_percent} />
          <span class="muted">
            {formatCount(detail.items_processed)} of {formatCount(detail.items_total)}
          </span>
        </div>
      )}
      <dl class="counters">
        <Counter label="Processed" testid="processed">
          {formatCount(detail.items_processed)}
        </Counter>
        <Counter label="Successful">{formatCount(detail.items_successful)}</Counter>
        <Counter label="Failed" tone={detail.items_failed > 0 ? 'bad' : undefined} testid="failed">
          {formatCount(detail.items_failed)}
          {detail.items_failed > 0 && (
            <span class="muted"> ({formatPercent(detail.error_rate_percent)})</span>
          )}
        </Counter>
        <Counter label="Retried">{formatCount(detail.items_retried)}</Counter>
        <Counter label="Bytes">{formatBytes(detail.bytes_processed)}</Counter>
        <Counter
          label={detail.current_rate_per_second !== null ? 'Rate (now)' : 'Rate (whole run)'}
        >
          {formatRate(detail.rate_per_second)}
        </Counter>
        <Counter label="ETA">{formatDuration(detail.eta_seconds)}</Counter>
        <Counter label="Duration">{formatSpan(duration)}</Counter>
        <Counter label="Errors" tone={detail.error_count > 0 ? 'bad' : undefined}>
          {formatCount(detail.error_count)}
        </Counter>
        <Counter
          label="Interruptions"
          tone={detail.interruption_count > 0 ? 'warn' : undefined}
          testid="interruption-count"
        >
          {formatCount(detail.interruption_count)}
        </Counter>
        <Counter label="Started">{formatTime(detail.start_time, detail.start_time)}</Counter>
        {detail.end_time !== null && (
          <Counter label="Ended">{formatTime(detail.end_time, detail.start_time)}</Counter>
        )}
        <Counter label="Last update">
          <Ago time={detail.last_update_time} />
        </Counter>
        {detail.owner !== null && (
          <Counter label="Owner">
            <T text={detail.owner.host} /> pid {detail.owner.pid}
          </Counter>
        )}
        {detail.worker_count > 0 && (
          <Counter label="Workers">{formatCount(detail.worker_count)}</Counter>
        )}
      </dl>
    </section>
  );
}

function Errors({ detail }: { detail: DetailView }) {
  const when = (t: number | null) => formatTime(t, detail.start_time);
  if (detail.errors_by_type.length === 0 && detail.last_error === null) {
    return (
      <section class="card">
        <h2>Errors</h2>
        <p class="muted">No errors.</p>
      </section>
    );
  }
  return (
    <section class="card">
      <h2>Errors by type</h2>
      <div class="table-scroll">
        <table class="errors">
          <thead>
            <tr>
              <th scope="col">Type</th>
              <th scope="col" class="num">
                Count
              </th>
              <th scope="col" class="num">
                Share
              </th>
              <th scope="col">First seen</th>
              <th scope="col">Last seen</th>
              <th scope="col">Sample messages</th>
            </tr>
          </thead>
          <tbody>
            {detail.errors_by_type.map((e) => (
              <tr key={e.type} data-testid="error-row" data-type={e.type}>
                <td class="name">
                  <T text={e.type} />
                </td>
                <td class="num">{formatCount(e.count)}</td>
                <td class="num">{`${e.share_percent.toFixed(2).replace(/\.?0+$/, '')}%`}</td>
                <td class="nowrap">{when(e.first_seen)}</td>
                <td class="nowrap">{when(e.last_seen)}</td>
                <td class="message">
                  {e.samples.length === 0 ? (
                    <span class="muted">—</span>
                  ) : (
                    <ul class="samples">
                      {e.samples.map((s) => (
                        <li key={s}>
                          <T text={s} />
                        </li>
                      ))}
                    </ul>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {detail.last_error !== null && (
        <p class="last-error" data-testid="last-error">
          <strong>Last error</strong>
          {detail.last_error.time !== null && <> ({when(detail.last_error.time)})</>}:{' '}
          <span class="message">
            <T text={detail.last_error.message} />
          </span>
        </p>
      )}
    </section>
  );
}

function sessionsOf(detail: DetailView): SessionView[] {
  if (detail.workers.length === 0) {
    return detail.sessions.map((s) => ({ ...s, worker: null }));
  }
  return detail.workers
    .flatMap((w) => w.sessions.map((s) => ({ ...s, worker: w.worker })))
    .sort((a, b) => a.start_time - b.start_time);
}

function endedText(s: SessionView): string {
  if (s.end_reason === null) return s.end_time === null ? 'running' : '—';
  if (s.end_reason === 'signal' && s.signal !== null) return `signal ${escapeControl(s.signal)}`;
  return s.end_reason.replace('_', ' ');
}

function Sessions({ detail }: { detail: DetailView }) {
  const sessions = sessionsOf(detail);
  const merged = detail.workers.length > 0;
  const when = (t: number | null) => formatTime(t, detail.start_time);
  return (
    <section class="card">
      <h2>Sessions ({formatCount(sessions.length)})</h2>
      {sessions.length === 0 ? (
        <p class="muted">No sessions recorded.</p>
      ) : (
        <div class="table-scroll">
          <table class="sessions">
            <thead>
              <tr>
                <th scope="col" class="num">
                  #
                </th>
                {merged && <th scope="col">Worker</th>}
                <th scope="col">Host</th>
                <th scope="col" class="num">
                  PID
                </th>
                <th scope="col">Start</th>
                <th scope="col">End</th>
                <th scope="col" class="num">
                  Duration
                </th>
                <th scope="col" class="num">
                  Processed
                </th>
                <th scope="col">How it ended</th>
              </tr>
            </thead>
            <tbody>
              {sessions.map((s) => (
                <tr
                  key={`${s.worker ?? ''}\u0000${s.number}`}
                  class={
                    s.end_reason !== null &&
                    s.end_reason !== 'completed' &&
                    s.end_reason !== 'failed'
                      ? 'row-alarm'
                      : undefined
                  }
                  data-testid="session-row"
                >
                  <td class="num">{s.number}</td>
                  {merged && (
                    <td class="name">
                      <T text={s.worker} />
                    </td>
                  )}
                  <td class="name">
                    <T text={s.host} />
                  </td>
                  <td class="num">{s.pid ?? '—'}</td>
                  <td class="nowrap">{when(s.start_time)}</td>
                  <td class="nowrap">{when(s.end_time)}</td>
                  <td class="num">{formatSpan(s.duration_seconds)}</td>
                  <td class="num">{formatCount(s.items_processed)}</td>
                  <td>{endedText(s)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function Workers({ detail, run, process }: { detail: DetailView; run: string; process: string }) {
  return (
    <section class="card">
      <h2>Workers ({formatCount(detail.workers.length)})</h2>
      <div class="table-scroll">
        <table class="workers">
          <thead>
            <tr>
              <th scope="col">Worker</th>
              <th scope="col">Status</th>
              <th scope="col">Progress</th>
              <th scope="col" class="num">
                Processed
              </th>
              <th scope="col" class="num">
                Failed
              </th>
              <th scope="col" class="num">
                Rate
              </th>
              <th scope="col" class="num">
                ETA
              </th>
              <th scope="col">Last update</th>
            </tr>
          </thead>
          <tbody>
            {detail.workers.map((w) => (
              <tr key={w.worker ?? ''} data-testid="worker-row" data-worker={w.worker ?? ''}>
                <td class="name">
                  <a href={runHref(run, process, w.worker)}>
                    <T text={w.worker} />
                  </a>
                </td>
                <td>
                  <StatusChip status={w.status} title={w.status_reason} />
                </td>
                <td>
                  <ProgressBar value={w.progress_percent} />
                </td>
                <td class="num">{formatCount(w.items_processed)}</td>
                <td class="num">{formatCount(w.items_failed)}</td>
                <td class="num">{formatRate(w.rate_per_second)}</td>
                <td class="num">{formatDuration(w.eta_seconds)}</td>
                <td>
                  <Ago time={w.last_update_time} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function metricText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value, null, 2);
}

function MetricsTable({ metrics }: { metrics: Record<string, unknown> }) {
  const entries = Object.entries(metrics);
  if (entries.length === 0) return <p class="muted">None.</p>;
  return (
    <div class="table-scroll">
      <table class="metrics">
        <tbody>
          {entries.map(([k, v]) => (
            <tr key={k}>
              <th scope="row" class="name">
                <T text={k} />
              </th>
              <td>
                {typeof v === 'object' && v !== null ? (
                  <pre>
                    <T text={metricText(v)} lines />
                  </pre>
                ) : (
                  <T text={metricText(v)} />
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Metrics({ detail }: { detail: DetailView }) {
  const own = Object.keys(detail.custom_metrics).length > 0;
  const workers = detail.workers.filter((w) => Object.keys(w.custom_metrics).length > 0);
  if (!own && workers.length === 0) return null;
  return (
    <section class="card" data-testid="custom-metrics">
      <h2>Custom metrics</h2>
      {own && <MetricsTable metrics={detail.custom_metrics} />}
      {workers.map((w) => (
        <div key={w.worker ?? ''}>
          <h3>
            Worker <T text={w.worker} />
          </h3>
          <MetricsTable metrics={w.custom_metrics} />
        </div>
      ))}
    </section>
  );
}

function RecentProgress({ detail }: { detail: DetailView }) {
  const updates = detail.recent_progress_updates;
  if (updates.length === 0) return null;
  return (
    <section class="card">
      <h2>Latest progress updates</h2>
      <div class="table-scroll">
        <table>
          <thead>
            <tr>
              <th scope="col">Time</th>
              {detail.workers.length > 0 && <th scope="col">Worker</th>}
              <th scope="col" class="num">
                Processed
              </th>
              <th scope="col">Message</th>
            </tr>
          </thead>
          <tbody>
            {updates.map((u, i) => (
              <tr key={i}>
                <td class="nowrap">{formatTime(u.timestamp, detail.start_time)}</td>
                {detail.workers.length > 0 && (
                  <td class="name">
                    <T text={u.worker ?? null} />
                  </td>
                )}
                <td class="num">{formatCount(u.items_processed)}</td>
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

function Unusable({ items }: { items: readonly UnusableSummary[] }) {
  return (
    <Banner kind="warning">
      <strong>Some summaries cannot be shown:</strong>
      <ul>
        {items.map((u) => (
          <li key={u.location}>
            {u.status === 'needs_repair' ? 'needs repair' : u.status}: <T text={u.message} />
          </li>
        ))}
      </ul>
    </Banner>
  );
}
