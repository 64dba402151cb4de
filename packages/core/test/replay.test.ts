import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  createManualClock,
  type ManualClock,
  ProcessSummary,
  replayEvents,
  type SummaryDict,
  type SummaryEvent,
  SummaryReplay,
} from '../src/index.js';
import { T0, throwsCode } from './_helpers.js';

const test = suite('replayEvents');

/** What the journal can restore: every field a rebuilt summary must get right. */
const RESTORED_KEYS = [
  'run_name',
  'process_name',
  'session_id',
  'start_time',
  'end_time',
  'duration_seconds',
  'is_completed',
  'status',
  'items_processed',
  'items_successful',
  'items_failed',
  'items_retried',
  'bytes_processed',
  'success_rate_percent',
  'processing_rate_per_second',
  'error_count',
  'error_types',
  'error_details',
  'last_error_message',
  'last_error_time',
  'interruption_count',
  'progress_updates_count',
  'progress_updates',
  'active_seconds',
  'session_count',
  'sessions',
] as const satisfies readonly (keyof SummaryDict)[];

function restored(dict: SummaryDict): Partial<SummaryDict> {
  const out: Record<string, unknown> = {};
  for (const key of RESTORED_KEYS) out[key] = dict[key];
  return out as Partial<SummaryDict>;
}

const limits = { maxProgressUpdates: 4, maxErrorSamples: 2, maxErrorTypes: 3 };

/** One process lifetime doing some work: increments, errors, progress updates. */
function work(summary: ProcessSummary, clock: ManualClock, batches: number): void {
  for (let i = 1; i <= batches; i++) {
    clock.advance(10);
    summary.incrementItems({ processed: 100, successful: 97, failed: 3, retried: 1, bytes: 2048 });
    summary.addError(
      ['NetworkError', 'ParseError', 'S3Error', 'DiskError'][i % 4] as string,
      `e${i}`,
    );
    summary.addProgressUpdate(`batch ${i}`, { batch: i });
  }
}

test('replaying the events of one finished session gives back what the summary held', () => {
  const clock = createManualClock(T0);
  const summary = new ProcessSummary({ runName: 'r', processName: 'p', clock, limits });
  summary.startProcess({ host: 'h', pid: 7 });
  work(summary, clock, 9);
  summary.setCustomMetric('storage', 'minio');
  clock.advance(5);
  summary.endProcess();
  const events = summary.takeEvents();
  const {
    summary: rebuilt,
    eventCount,
    skippedEvents,
  } = replayEvents('r', 'p', events, {
    clock,
    limits,
  });
  assert.is(eventCount, events.length);
  assert.is(skippedEvents, 0);
  assert.equal(restored(rebuilt.getSummaryDict()), restored(summary.getSummaryDict()));
  assert.equal(rebuilt.customMetrics, {}, 'custom metrics are not journaled');
  assert.is(rebuilt.errorTypes.__other__, 2, 'the error-type limit applies as it did live');
});

test('several lifetimes — a crash, a signal, a completion — replay to the same summary', () => {
  const clock = createManualClock(T0);
  const options = { clock, limits };
  const journal: SummaryEvent[] = [];

  const first = new ProcessSummary({ runName: 'r', processName: 'p', ...options });
  first.startProcess({ host: 'h', pid: 1 });
  work(first, clock, 3);
  journal.push(...first.takeEvents());
  const crashed = first.getSummaryDict(); // its last save; then kill -9

  clock.advance(600);
  const second = ProcessSummary.fromDict(crashed, options);
  second.startProcess({ host: 'h', pid: 2 }); // closes the crashed session, counts it
  work(second, clock, 2);
  second.incrementItems({ retried: 5, bytes: 1 }); // counted, then journaled by the session end
  second.markInterrupted({ reason: 'signal', signal: 'SIGTERM' });
  journal.push(...second.takeEvents());

  clock.advance(60);
  const third = ProcessSummary.fromDict(second.getSummaryDict(), options);
  third.recordInterruption({ reason: 'signal', detail: 'stopped by SIGTERM' });
  third.startProcess({ host: 'h', pid: 3 });
  work(third, clock, 4);
  third.endProcess({ outcome: 'failed' });
  journal.push(...third.takeEvents());

  const { summary: rebuilt, notes } = replayEvents('r', 'p', journal, options);
  const expected = third.getSummaryDict();
  assert.equal(restored(rebuilt.getSummaryDict()), restored(expected));
  assert.is(expected.interruption_count, 2);
  assert.equal(
    expected.sessions.map((s) => s.end_reason),
    ['crash', 'signal', 'failed'],
  );
  assert.equal(
    notes.map((n) => n.code),
    ['W_NOT_IN_JOURNAL', 'W_COUNTERS_AS_OF'],
  );
});

test('a journal that stops mid-session gives a running summary that the next start calls a crash', () => {
  const clock = createManualClock(T0);
  const summary = new ProcessSummary({ runName: 'r', processName: 'p', clock });
  summary.startProcess();
  work(summary, clock, 2);
  const {
    summary: rebuilt,
    notes,
    lastEventTime,
  } = replayEvents('r', 'p', summary.takeEvents(), { clock });
  assert.is(lastEventTime, T0 + 20);
  assert.is(rebuilt.status, 'running');
  assert.is(rebuilt.unfinishedSession?.number, 1);
  assert.is(rebuilt.getSummaryDict().generated_at, new Date((T0 + 20) * 1000).toISOString());
  assert.ok(notes.some((n) => n.code === 'W_UNFINISHED_SESSION'));
  clock.advance(100);
  rebuilt.startProcess();
  assert.is(rebuilt.interruptionCount, 1);
  assert.is(rebuilt.sessions[0]?.end_reason, 'crash');
  assert.is(rebuilt.sessions[0]?.end_time, T0 + 20, 'ended at its last sign of life');
});

test('a journal of an older version (no retried or bytes totals) is replayed, with a note', () => {
  const old = [
    {
      type: 'progress',
      timestamp: T0,
      elapsed_seconds: 0,
      message: 'a',
      items_processed: 5,
      items_successful: 5,
      items_failed: 0,
    },
  ];
  const { summary, notes } = replayEvents('r', 'p', old);
  assert.is(summary.itemsProcessed, 5);
  assert.is(summary.bytesProcessed, 0);
  assert.ok(notes.some((n) => n.code === 'W_TOTALS_INCOMPLETE'));
});

test('malformed and unknown events are skipped and counted; none usable is E_NO_EVENTS', () => {
  const replay = new SummaryReplay('r', 'p');
  assert.is(replay.add({ type: 'progress', message: 'no numbers' }), false);
  assert.is(replay.add({ type: 'from_the_future', time: T0 }), false);
  assert.is(replay.add(null), false);
  throwsCode(() => replay.finish(), 'E_NO_EVENTS');
  assert.is(replay.add({ type: 'error', time: T0, error_type: 'E', message: 'm' }), true);
  const result = replay.finish();
  assert.is(result.skippedEvents, 3);
  assert.is(result.summary.errorCount, 1);
  assert.ok(result.notes.some((n) => n.code === 'W_EVENTS_SKIPPED'));
  throwsCode(() => new SummaryReplay('../x', 'p'), 'E_INVALID_NAME');
  throwsCode(() => new SummaryReplay('r', 'p', { worker: 'a@b' }), 'E_INVALID_NAME');
});

test("a worker's journal replays to that worker's summary", () => {
  const clock = createManualClock(T0);
  const live = new ProcessSummary({ runName: 'r', processName: 'p', worker: 'w2', clock });
  live.startProcess({ host: 'h', pid: 1 });
  work(live, clock, 3);
  live.endProcess();
  const { summary } = replayEvents('r', 'p', live.takeEvents(), { worker: 'w2', clock });
  assert.is(summary.worker, 'w2');
  assert.is(summary.getSummaryDict().worker, 'w2');
  assert.equal(restored(summary.getSummaryDict()), restored(live.getSummaryDict()));
});

test.run();
