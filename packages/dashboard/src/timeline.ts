/**
 * The run page's timeline: cumulative items processed and throughput over time, in at most a
 * few hundred buckets, with session boundaries and interruptions. Built from the journal when
 * it has progress or session events (its complete history), else from what the summary keeps
 * (its first and latest progress updates and sessions: a seed-format file, a store without
 * history). A process with workers is summed over its workers on one bucket grid.
 *
 * The journal is streamed: only three numbers per point are held (in typed arrays), never the
 * event objects, and the answer has at most `maxPoints` points whatever the journal's length.
 */
import {
  isRelativeTime,
  type JournalRecord,
  refName,
  type SummaryEvent,
  type SummaryRef,
  type SummaryStore,
} from '@process-summary/core';
import type { RowOptions } from '@process-summary/inspect';
import type {
  TimelineInterruption,
  TimelinePoint,
  TimelineResponse,
  TimelineSession,
} from './api.js';

/** Default (and the most useful) number of buckets. */
export const DEFAULT_TIMELINE_POINTS = 300;
/** The most buckets a caller may ask for. */
export const MAX_TIMELINE_POINTS = 10_000;

/** Options of {@link readTimeline}. */
export type TimelineOptions = RowOptions & {
  /** At most this many points (buckets). Default {@link DEFAULT_TIMELINE_POINTS}. */
  maxPoints?: number | undefined;
};

/** End reasons recorded after the fact, by the process that resumed the run. */
const LATE_END_REASONS = new Set(['crash', 'reboot', 'stale', 'checkpoint_gap']);
/** End reasons that are not interruptions. */
const CLEAN_END_REASONS = new Set(['completed', 'failed']);

/** Points of one series: time, processed in total, and the session they fall in (0: none). */
export class PointBuffer {
  #t = new Float64Array(64);
  #v = new Float64Array(64);
  #s = new Int32Array(64);
  #length = 0;

  get length(): number {
    return this.#length;
  }

  /** Appends a point; a time earlier than the last (a clock stepped back) is taken as the last. */
  push(t: number, value: number, session: number): void {
    if (!Number.isFinite(t) || !Number.isFinite(value)) return;
    if (this.#length === this.#t.length) {
      const size = this.#length * 2;
      const t2 = new Float64Array(size);
      const v2 = new Float64Array(size);
      const s2 = new Int32Array(size);
      t2.set(this.#t);
      v2.set(this.#v);
      s2.set(this.#s);
      this.#t = t2;
      this.#v = v2;
      this.#s = s2;
    }
    const last = this.#length > 0 ? (this.#t[this.#length - 1] as number) : -Infinity;
    this.#t[this.#length] = Math.max(t, last);
    this.#v[this.#length] = value;
    this.#s[this.#length] = session;
    this.#length += 1;
  }

  time(i: number): number {
    return this.#t[i] as number;
  }
  value(i: number): number {
    return this.#v[i] as number;
  }
  session(i: number): number {
    return this.#s[i] as number;
  }
}

/** One summary's history, ready to be bucketed. */
export interface TimelineSeries {
  /** The worker, in a merged view; `null` otherwise. */
  worker: string | null;
  /** The summary's `start_time`. */
  startTime: number;
  points: PointBuffer;
  /** Sorted by number; an open session has `end: null`. */
  sessions: TimelineSession[];
  interruptions: TimelineInterruption[];
  source: 'journal' | 'progress_updates' | 'none';
}

/** What {@link buildTimeline} needs besides the series. */
export interface BuildOptions {
  now: number;
  maxPoints?: number | undefined;
}

type DictLike = Readonly<Record<string, unknown>>;

function num(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function str(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

/**
 * Collects one summary's journal, event by event, into a {@link TimelineSeries}. Sessions
 * closed after the fact (a crash found on resume) end at their last sign of life, not when
 * the resuming process noticed; `dict` (the stored summary, when there is one) knows that
 * time for the sessions it keeps.
 */
export class JournalSeriesBuilder {
  readonly #worker: string | null;
  readonly #points = new PointBuffer();
  readonly #sessions = new Map<number, TimelineSession>();
  /** Time of the last point that fell in each session. */
  readonly #lastInSession = new Map<number, number>();
  /** Ended late: its end is settled at the finish. */
  readonly #late = new Set<number>();
  readonly #interruptions: { time: number; reason: string; detail: string; after: number }[] = [];
  #current = 0;
  #lastEnded = 0;
  #seen = false;

  constructor(worker: string | null) {
    this.#worker = worker;
  }

  /** Whether any progress or session event was seen (else the summary's own lists are used). */
  get usable(): boolean {
    return this.#seen;
  }

  /** Points held so far. */
  get pointCount(): number {
    return this.#points.length;
  }

  add(event: SummaryEvent): void {
    switch (event.type) {
      case 'progress': {
        this.#seen = true;
        this.#point(event.timestamp, event.items_processed, this.#current);
        return;
      }
      case 'session_start': {
        this.#seen = true;
        const s = (event.session ?? {}) as unknown as DictLike;
        const number = num(s.number) ?? this.#sessions.size + 1;
        const start = num(s.start_time) ?? event.time;
        this.#sessions.set(number, {
          number,
          worker: this.#worker,
          start,
          end: null,
          host: str(s.host),
          pid: num(s.pid),
          end_reason: null,
          signal: null,
        });
        this.#current = number;
        const processed = num(event.items_processed);
        if (processed !== null) this.#point(start, processed, number);
        return;
      }
      case 'session_end': {
        this.#seen = true;
        const session = this.#sessions.get(event.number);
        const late = LATE_END_REASONS.has(event.end_reason);
        if (session !== undefined) {
          session.end_reason = event.end_reason;
          session.signal = event.signal ?? null;
          session.end = event.time;
          if (late) this.#late.add(event.number);
        }
        if (this.#current === event.number) this.#current = 0;
        this.#lastEnded = event.number;
        const processed = num(event.items_processed);
        // A late end's totals are those of when it was noticed, outside any session.
        if (processed !== null) this.#point(event.time, processed, late ? 0 : event.number);
        return;
      }
      case 'interruption': {
        this.#interruptions.push({
          time: event.time,
          reason: event.reason,
          detail: event.detail,
          after: this.#lastEnded,
        });
        return;
      }
      default:
        return;
    }
  }

  #point(t: number, processed: number, session: number): void {
    this.#points.push(t, processed, session);
    if (session !== 0) this.#lastInSession.set(session, this.#points.time(this.#points.length - 1));
  }

  /** The series; `dict` is the stored summary (its kept sessions settle late ends). */
  finish(summary: object | null): TimelineSeries {
    const dict = summary as DictLike | null;
    const kept = new Map<number, DictLike>();
    if (Array.isArray(dict?.sessions)) {
      for (const s of dict.sessions as DictLike[]) {
        const n = num(s?.number);
        if (n !== null) kept.set(n, s);
      }
    }
    for (const number of this.#late) {
      const session = this.#sessions.get(number) as TimelineSession;
      const stored = num(kept.get(number)?.end_time);
      const lastSign = this.#lastInSession.get(number) ?? session.start;
      session.end = stored ?? lastSign;
    }
    const sessions = [...this.#sessions.values()].sort((a, b) => a.number - b.number);
    const interruptions: TimelineInterruption[] = [];
    const marked = new Set<number>();
    for (const i of this.#interruptions) {
      const ended = i.after === 0 ? undefined : this.#sessions.get(i.after);
      const time = ended?.end != null && !marked.has(i.after) ? ended.end : i.time;
      if (ended !== undefined) marked.add(i.after);
      interruptions.push({ time, worker: this.#worker, reason: i.reason, detail: i.detail });
    }
    addSessionInterruptions(sessions, marked, interruptions, this.#worker);
    return {
      worker: this.#worker,
      startTime: num(dict?.start_time) ?? (this.#points.length > 0 ? this.#points.time(0) : 0),
      points: this.#points,
      sessions,
      interruptions,
      source: this.#points.length > 0 ? 'journal' : 'none',
    };
  }
}

/** Sessions that ended by an interruption no journal event marked (e.g. not resumed yet). */
function addSessionInterruptions(
  sessions: readonly TimelineSession[],
  marked: ReadonlySet<number>,
  interruptions: TimelineInterruption[],
  worker: string | null,
): void {
  for (const s of sessions) {
    if (s.end_reason === null || CLEAN_END_REASONS.has(s.end_reason) || marked.has(s.number)) {
      continue;
    }
    interruptions.push({
      time: s.end ?? s.start,
      worker,
      reason: s.end_reason,
      detail:
        s.end_reason === 'signal' && s.signal !== null
          ? `session ${s.number} stopped by ${s.signal}`
          : `session ${s.number} ended: ${s.end_reason}`,
    });
  }
  interruptions.sort((a, b) => a.time - b.time);
}

/**
 * A series from what the summary itself keeps: its progress updates (the first and the
 * latest) and its sessions. A seed-format file has no sessions: then the whole span counts as
 * running. The run's start (0 processed) and, once it ended, its end (its final count) are
 * points too.
 */
export function summarySeries(summary: object, worker: string | null): TimelineSeries {
  const dict = summary as DictLike;
  const start = num(dict.start_time) ?? 0;
  const sessions: TimelineSession[] = [];
  if (Array.isArray(dict.sessions)) {
    for (const s of dict.sessions as DictLike[]) {
      const number = num(s?.number);
      const sStart = num(s?.start_time);
      if (number === null || sStart === null) continue;
      sessions.push({
        number,
        worker,
        start: sStart,
        end: num(s.end_time),
        host: str(s.host),
        pid: num(s.pid),
        end_reason: str(s.end_reason),
        signal: str(s.signal),
      });
    }
    sessions.sort((a, b) => a.number - b.number);
  }
  const sessionAt = (t: number): number => {
    if (sessions.length === 0) return 1;
    for (let i = sessions.length - 1; i >= 0; i -= 1) {
      const s = sessions[i] as TimelineSession;
      if (s.start <= t && (s.end === null || t <= s.end)) return s.number;
    }
    return 0;
  };
  const updates = Array.isArray(dict.progress_updates) ? (dict.progress_updates as DictLike[]) : [];
  const points = new PointBuffer();
  const timed = updates
    .map((u) => ({ t: num(u?.timestamp), v: num(u?.items_processed) }))
    .filter((p): p is { t: number; v: number } => p.t !== null && p.v !== null)
    .sort((a, b) => a.t - b.t);
  if (timed.length > 0 && (timed[0] as { t: number }).t > start) {
    points.push(start, 0, sessionAt(start));
  }
  for (const p of timed) points.push(p.t, p.v, sessionAt(p.t));
  const end = num(dict.end_time);
  const processed = num(dict.items_processed);
  if (
    end !== null &&
    processed !== null &&
    (points.length === 0 || end > points.time(points.length - 1))
  ) {
    points.push(end, processed, sessionAt(end));
  }
  const interruptions: TimelineInterruption[] = [];
  addSessionInterruptions(sessions, new Set(), interruptions, worker);
  return {
    worker,
    startTime: start,
    points,
    sessions,
    interruptions,
    source: points.length > 0 ? 'progress_updates' : 'none',
  };
}

/** The smallest of 1, 2, 5 × 10^k that is at least `x`. */
export function niceBucket(x: number): number {
  if (!(x > 0) || !Number.isFinite(x)) return 1;
  const power = 10 ** Math.floor(Math.log10(x));
  for (const step of [1, 2, 5, 10]) {
    // The tolerance keeps 0.3 / 3 (0.09999…) from becoming 0.2.
    if (step * power >= x * (1 - 1e-9)) return step * power;
  }
  return 10 * power;
}

/** Intervals in which a series' worker was running: its sessions, or all of it without any. */
function runningIntervals(series: TimelineSeries): [number, number][] {
  const n = series.points.length;
  const lastTime = n > 0 ? series.points.time(n - 1) : series.startTime;
  if (series.sessions.length === 0) {
    return n > 0 ? [[Math.min(series.startTime, series.points.time(0)), lastTime]] : [];
  }
  const intervals: [number, number][] = [];
  let previous: TimelineSession | null = null;
  for (const s of series.sessions) {
    // Sessions the summary no longer keeps (its list is bounded) ran somewhere in between.
    if (previous !== null && s.number > previous.number + 1) {
      intervals.push([previous.end ?? previous.start, s.start]);
    }
    intervals.push([s.start, s.end ?? Math.max(lastTime, s.start)]);
    previous = s;
  }
  return intervals;
}

/**
 * Evaluates a series' cumulative count at increasing times: linear between two points of the
 * same session (items are done all along), held flat across anything else (between sessions
 * nothing is done), the first value before the first point, the last after the last.
 */
class Cumulative {
  readonly #p: PointBuffer;
  #i = 0;

  constructor(points: PointBuffer) {
    this.#p = points;
  }

  /** The value at `t`; calls must come with non-decreasing `t`. */
  at(t: number): number {
    const p = this.#p;
    const n = p.length;
    if (n === 0) return 0;
    while (this.#i + 1 < n && p.time(this.#i + 1) <= t) this.#i += 1;
    const i = this.#i;
    if (p.time(i) > t) return p.value(0);
    if (i + 1 >= n) return p.value(i);
    const s = p.session(i);
    if (s !== 0 && p.session(i + 1) === s) {
      const t0 = p.time(i);
      const t1 = p.time(i + 1);
      if (t1 > t0) return p.value(i) + ((p.value(i + 1) - p.value(i)) * (t - t0)) / (t1 - t0);
    }
    return p.value(i);
  }
}

/**
 * The timeline of one or more series (a merged view sums its workers on one grid). Buckets
 * start at the earliest `startTime`, are {@link niceBucket} wide (at least 1 s for epoch
 * times: finer than that, items per second is noise) and no more than `maxPoints`; each point
 * is a bucket's end with the processed total there and the rate over the bucket, `null` when
 * no session of any series ran during it.
 */
export function buildTimeline(
  series: readonly TimelineSeries[],
  options: BuildOptions,
): TimelineResponse {
  const maxPoints = checkMaxPoints(options.maxPoints);
  const start = series.reduce((m, s) => Math.min(m, s.startTime), Infinity);
  const startTime = Number.isFinite(start) ? start : 0;
  const timeBase = isRelativeTime(startTime) ? 'relative' : 'epoch';
  let last = -Infinity;
  for (const s of series) {
    if (s.points.length > 0) last = Math.max(last, s.points.time(s.points.length - 1));
  }
  const merged = series.length > 1 || series.some((s) => s.worker !== null);
  const sessions = series
    .flatMap((s) => s.sessions.map((x) => ({ ...x, worker: merged ? s.worker : null })))
    .sort((a, b) => a.start - b.start || (a.worker ?? '').localeCompare(b.worker ?? ''));
  const interruptions = series
    .flatMap((s) => s.interruptions.map((x) => ({ ...x, worker: merged ? s.worker : null })))
    .sort((a, b) => a.time - b.time);
  const sources = new Set(series.map((s) => s.source));
  const source = sources.has('journal')
    ? 'journal'
    : sources.has('progress_updates')
      ? 'progress_updates'
      : 'none';
  const base = {
    now: options.now,
    time_base: timeBase,
    start_time: startTime,
    sessions,
    interruptions,
    source,
  } as const;
  if (!Number.isFinite(last)) return { ...base, bucket_seconds: 0, points: [] };

  const span = Math.max(0, last - startTime);
  const floor = timeBase === 'epoch' ? 1 : 0;
  const bucket = Math.max(floor, niceBucket(span / maxPoints));
  const count = Math.min(maxPoints, Math.max(1, Math.ceil(span / bucket - 1e-9)));
  const ends = Array.from({ length: count }, (_, k) => startTime + (k + 1) * bucket);

  const processed = new Float64Array(count);
  const delta = new Float64Array(count);
  const running = new Uint8Array(count);
  const intervals: [number, number][] = [];
  for (const s of series) {
    const cumulative = new Cumulative(s.points);
    let before = cumulative.at(startTime);
    for (let k = 0; k < count; k += 1) {
      const value = cumulative.at(ends[k] as number);
      processed[k] = (processed[k] as number) + value;
      delta[k] = (delta[k] as number) + value - before;
      before = value;
    }
    for (const [a, b] of runningIntervals(s)) {
      markRunning(running, startTime, bucket, a, b);
      intervals.push([a, b]);
    }
  }
  // A bucket's rate is what was done over the time something ran in it, not over its whole
  // width: the buckets where sessions start or end, and the last one (which runs past the
  // latest point), would otherwise show a dip that never happened.
  const covered = new Float64Array(count);
  for (const [a, b] of union(intervals)) addCoverage(covered, startTime, bucket, a, b);
  const points: TimelinePoint[] = ends.map((t, k) => {
    const seconds = covered[k] as number;
    const done = delta[k] as number;
    return {
      t,
      processed: processed[k] as number,
      rate: running[k] !== 1 ? null : seconds > 0 ? done / seconds : done / bucket,
    };
  });
  return { ...base, bucket_seconds: bucket, points };
}

/** Marks the buckets `[a, b]` overlaps (an instant marks the bucket it falls in). */
function markRunning(
  running: Uint8Array,
  origin: number,
  bucket: number,
  a: number,
  b: number,
): void {
  const count = running.length;
  if (!(b >= a)) return;
  // Bucket k covers (origin + k·w, origin + (k+1)·w]; an interval touching only a boundary
  // does not run in the bucket on the other side of it.
  let first = Math.ceil((a - origin) / bucket) - 1;
  if (b > a) first = Math.floor((a - origin) / bucket);
  const lastK = Math.ceil((b - origin) / bucket) - 1;
  for (let k = Math.max(0, first); k <= Math.min(count - 1, lastK); k += 1) running[k] = 1;
}

/** The union of intervals, sorted and without overlaps. */
function union(intervals: [number, number][]): [number, number][] {
  const sorted = intervals.filter(([a, b]) => b > a).sort((x, y) => x[0] - y[0]);
  const out: [number, number][] = [];
  for (const [a, b] of sorted) {
    const top = out[out.length - 1];
    if (top !== undefined && a <= top[1]) top[1] = Math.max(top[1], b);
    else out.push([a, b]);
  }
  return out;
}

/** Adds to each bucket the seconds of `[a, b]` that fall in it. */
function addCoverage(
  covered: Float64Array,
  origin: number,
  bucket: number,
  a: number,
  b: number,
): void {
  if (!(b > a)) return;
  const first = Math.max(0, Math.floor((a - origin) / bucket));
  const last = Math.min(covered.length - 1, Math.ceil((b - origin) / bucket) - 1);
  for (let k = first; k <= last; k += 1) {
    const from = Math.max(a, origin + k * bucket);
    const to = Math.min(b, origin + (k + 1) * bucket);
    if (to > from) covered[k] = (covered[k] as number) + (to - from);
  }
}

function checkMaxPoints(value: number | undefined): number {
  const v = value ?? DEFAULT_TIMELINE_POINTS;
  if (!Number.isInteger(v) || v < 1 || v > MAX_TIMELINE_POINTS) {
    throw Object.assign(
      new RangeError(
        `dashboard: timeline maxPoints must be an integer from 1 to ${MAX_TIMELINE_POINTS} (got ${String(v)})`,
      ),
      { code: 'E_INVALID_ARGUMENT' },
    );
  }
  return v;
}

/**
 * What was read of a journal, to be continued: a refresh of a run page reads only the events
 * after `cursor` (a journal of 200,000 events takes ~0.5 s to read whole, ~1 ms to catch up).
 */
interface CachedJournal {
  builder: JournalSeriesBuilder;
  cursor: string | undefined;
  /**
   * Which run it was read for (the summary's start and its first session): another is another
   * run (removed and recreated, `fresh`).
   */
  identity: string;
  /**
   * The cursor before the last entry read, and that entry: reading again from there must give
   * the same entry, or the journal was replaced by one that only happens to reach as far (a
   * run recreated with the same start, e.g. seed-format times or a manual clock) and the
   * cached reading would go on with another run's tail.
   */
  lastFrom: string | undefined;
  lastEntry: string | null;
  busy: boolean;
}

/** Journals kept per store, least recently used first. */
const journalCaches = new WeakMap<SummaryStore, Map<string, CachedJournal>>();
/** At most this many journals are kept per store... */
export const TIMELINE_CACHE_ENTRIES = 32;
/** ...holding at most this many points in all (20 bytes each). */
export const TIMELINE_CACHE_POINTS = 2_000_000;

/** Codes by which a store says a cursor no longer fits its journal (truncated, replaced). */
const STALE_CURSOR = new Set(['E_INVALID_OFFSET', 'E_INVALID_ARGUMENT']);

/** A cached reading that no longer fits its journal: another run under the same name. */
class ReplacedJournal extends Error {}

/**
 * Reads the journal into `entry` from where it stopped. A continued reading starts one entry
 * early, at the last entry read before, which must come back the same (see CachedJournal):
 * one call of `events` either way.
 */
async function readJournalInto(
  store: SummaryStore,
  ref: SummaryRef,
  entry: CachedJournal,
): Promise<void> {
  const check = entry.cursor !== undefined && entry.lastEntry !== null;
  const from = check ? entry.lastFrom : entry.cursor;
  const records = store.events(
    ref,
    from === undefined ? {} : { after: from },
  ) as AsyncIterable<JournalRecord>;
  let checking = check;
  for await (const record of records) {
    if (checking) {
      checking = false;
      if (entryText(record) !== entry.lastEntry) throw new ReplacedJournal();
      continue;
    }
    // The cursor moves with each event taken, so the entry stays consistent if reading fails.
    if (record.event !== null) entry.builder.add(record.event);
    entry.lastFrom = entry.cursor;
    entry.lastEntry = entryText(record);
    entry.cursor = record.cursor;
  }
  // The entry read last is gone: the journal was cut short or replaced.
  if (checking) throw new ReplacedJournal();
}

function entryText(record: JournalRecord): string {
  return JSON.stringify([record.cursor, record.event, record.problem?.line ?? null]);
}

/** The journal of `ref` read up to its current end, continuing a cached reading when one fits. */
async function journalOf(
  store: SummaryStore,
  ref: SummaryRef,
  identity: string,
  worker: string | null,
): Promise<JournalSeriesBuilder> {
  let cache = journalCaches.get(store);
  if (cache === undefined) {
    cache = new Map();
    journalCaches.set(store, cache);
  }
  // The worker a series is labelled with is part of the key: a worker's own page and the
  // merged view of its process label its sessions differently.
  const key = `${refName(ref)}\u0000${worker ?? ''}`;
  let entry = cache.get(key);
  if (entry !== undefined && (entry.busy || entry.identity !== identity)) {
    // Another request is reading it (a reading of its own is simpler than waiting), or the
    // run was replaced.
    if (!entry.busy) cache.delete(key);
    entry = undefined;
  }
  const fresh = entry === undefined;
  const current: CachedJournal = entry ?? newEntry(identity, worker);
  current.busy = true;
  try {
    await readJournalInto(store, ref, current);
  } catch (error) {
    cache.delete(key);
    const code = (error as { code?: unknown } | null)?.code;
    const replaced =
      error instanceof ReplacedJournal || (typeof code === 'string' && STALE_CURSOR.has(code));
    if (fresh || !replaced) throw error;
    // The journal was truncated or replaced since: read it again from the start.
    return journalOf(store, ref, identity, worker);
  } finally {
    current.busy = false;
  }
  if (current.builder.usable && (fresh ? !cache.has(key) : true)) {
    cache.delete(key);
    cache.set(key, current);
    trimCache(cache);
  }
  return current.builder;
}

function newEntry(identity: string, worker: string | null): CachedJournal {
  return {
    builder: new JournalSeriesBuilder(worker),
    cursor: undefined,
    identity,
    lastFrom: undefined,
    lastEntry: null,
    busy: false,
  };
}

/** Which run a summary is: its start and its first session (id, host, pid). */
function runIdentity(dict: DictLike): string {
  const sessions = (dict as { sessions?: unknown }).sessions;
  const first = Array.isArray(sessions)
    ? (sessions[0] as Record<string, unknown> | undefined)
    : undefined;
  return JSON.stringify([
    num(dict.start_time),
    first?.session_id ?? (dict as { session_id?: unknown }).session_id ?? null,
    first?.host ?? null,
    first?.pid ?? null,
  ]);
}

function trimCache(cache: Map<string, CachedJournal>): void {
  let points = 0;
  for (const entry of cache.values()) points += entry.builder.pointCount;
  for (const [key, entry] of cache) {
    if (cache.size <= TIMELINE_CACHE_ENTRIES && points <= TIMELINE_CACHE_POINTS) return;
    if (entry.busy) continue;
    cache.delete(key);
    points -= entry.builder.pointCount;
  }
}

/** Forgets every journal read from `store` (for tests and benchmarks of the uncached path). */
export function clearTimelineCache(store: SummaryStore): void {
  journalCaches.delete(store);
}

/** One summary's series: its journal when that has history, else what the summary keeps. */
async function seriesOf(
  store: SummaryStore,
  ref: SummaryRef,
  dict: DictLike,
  worker: string | null,
): Promise<TimelineSeries> {
  const builder = await journalOf(store, ref, runIdentity(dict), worker);
  return builder.usable ? builder.finish(dict) : summarySeries(dict, worker);
}

/**
 * The timeline of `ref`: `null` when there is no usable summary. A ref without a worker whose
 * process has no summary of its own but has workers gives their merged timeline (one `list`
 * of the run, then each worker's summary and journal). Reads only; store errors propagate.
 */
export async function readTimeline(
  store: SummaryStore,
  ref: SummaryRef,
  options: TimelineOptions,
): Promise<TimelineResponse | null> {
  checkMaxPoints(options.maxPoints);
  const build = { now: options.now, maxPoints: options.maxPoints };
  const read = await store.read(ref, { full: options.full ?? true });
  if (read?.dict != null) {
    return buildTimeline([await seriesOf(store, ref, read.dict as DictLike, null)], build);
  }
  if (ref.worker != null || (read !== null && read.problem?.code !== 'E_NOT_FOUND')) return null;
  const listing = await store.list({ runName: ref.runName });
  const workers = listing.summaries.filter(
    (s) => s.processName === ref.processName && s.worker != null && s.hasSummary,
  );
  const series: TimelineSeries[] = [];
  for (const listed of workers) {
    const workerRef = {
      runName: listed.runName,
      processName: listed.processName,
      worker: listed.worker ?? null,
    };
    const workerRead = await store.read(workerRef, { full: options.full ?? true });
    if (workerRead?.dict == null) continue;
    series.push(
      await seriesOf(store, workerRef, workerRead.dict as DictLike, listed.worker ?? null),
    );
  }
  return series.length === 0 ? null : buildTimeline(series, build);
}
