import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  createManualClock,
  ProcessSummary,
  replayEvents,
  type SummaryEvent,
  validateSummaryDict,
} from '../src/index.js';
import { T0 } from './_helpers.js';

// Each "process" has its own manual clock; between two of them the wall clock is stepped back
// (NTP, a VM restored from a snapshot), so the next process starts before the last one ended.
const stepped = suite('a wall clock stepped back between sessions');

const HOUR = 3600;

/** Saves and loads as a store would: the dict through JSON, then fromDict on a new clock. */
function reload(summary: ProcessSummary, clockStart: number) {
  const text = JSON.stringify(summary.getSummaryDict());
  const clock = createManualClock(clockStart);
  return { summary: ProcessSummary.fromDict(JSON.parse(text), { clock }), clock };
}

function runSteppedSessions() {
  const events: SummaryEvent[] = [];
  const durations: number[] = [];
  const first = createManualClock(T0);
  let summary = new ProcessSummary({ runName: 'r', processName: 'p', clock: first });
  summary.startProcess();
  first.advance(2 * HOUR);
  summary.incrementItems({ processed: 100, successful: 100 });
  summary.addProgressUpdate('first session');
  summary.markInterrupted({ reason: 'signal', signal: 'SIGTERM' });
  events.push(...summary.takeEvents());
  // Each next process starts three hours earlier on its own clock than the previous ended.
  let clockStart = T0 + 2 * HOUR - 3 * HOUR;
  for (let i = 0; i < 3; i++) {
    const next = reload(summary, clockStart);
    summary = next.summary;
    summary.startProcess();
    next.clock.advance(HOUR);
    summary.incrementItems({ processed: 10, successful: 10 });
    summary.addProgressUpdate(`session ${i + 2}`);
    const dict = summary.getSummaryDict();
    validateSummaryDict(JSON.parse(JSON.stringify(dict)));
    durations.push(summary.progressUpdates.at(-1)?.elapsed_seconds ?? Number.NaN);
    if (i < 2) summary.markInterrupted({ reason: 'exit' });
    else summary.endProcess();
    events.push(...summary.takeEvents());
    clockStart = clockStart + HOUR - 3 * HOUR;
  }
  return { summary, events, durations };
}

stepped('duration_seconds is the sum of the sessions, never negative', () => {
  const { summary } = runSteppedSessions();
  const dict = summary.getSummaryDict();
  assert.is(
    summary.endTime !== null && summary.endTime < summary.startTime,
    true,
    'dates went back',
  );
  assert.is(dict.duration_seconds, 5 * HOUR);
  assert.is(dict.active_seconds, 5 * HOUR);
});

stepped("every dict it writes passes the library's own reader, save after save", () => {
  const { summary } = runSteppedSessions();
  const again = reload(summary, T0 - 10 * HOUR).summary;
  assert.is(again.durationSeconds, 5 * HOUR);
  assert.is(again.itemsProcessed, 130, 'the run did not start over');
  assert.is(again.sessionCount, 4);
});

stepped('the elapsed time of progress updates never goes back', () => {
  const { durations } = runSteppedSessions();
  assert.equal(durations, [3 * HOUR, 4 * HOUR, 5 * HOUR]);
});

stepped('a replay of the journal gives the same non-negative duration', () => {
  const { events } = runSteppedSessions();
  const { summary } = replayEvents('r', 'p', events);
  assert.is(summary.status, 'completed');
  assert.is(summary.durationSeconds, 5 * HOUR);
  assert.is(summary.itemsProcessed, 130);
});

stepped('without a step, downtime between sessions still counts (the seed duration)', () => {
  const clock = createManualClock(T0);
  const summary = new ProcessSummary({ runName: 'r', processName: 'p', clock });
  summary.startProcess();
  clock.advance(100);
  summary.markInterrupted({ reason: 'exit' });
  const next = reload(summary, T0 + 1000);
  next.summary.startProcess();
  next.clock.advance(50);
  next.summary.endProcess();
  assert.is(next.summary.durationSeconds, 1050);
  assert.is(next.summary.activeSeconds, 150);
});

stepped.run();

const within = suite("a caller's clock stepped back within one process");

within('every dict stays readable and no duration goes negative', () => {
  // A clock a caller may well pass: the wall clock itself, which NTP may step back.
  let wall = T0;
  const clock = { now: () => wall };
  const summary = new ProcessSummary({ runName: 'r', processName: 'p', clock });
  summary.setItemsTotal(1000);
  summary.startProcess();
  wall += 600;
  summary.incrementItems({ processed: 10 });
  summary.addProgressUpdate('before the step');
  wall -= 3 * HOUR;
  summary.addProgressUpdate('after the step');
  const running = summary.getSummaryDict();
  validateSummaryDict(JSON.parse(JSON.stringify(running)));
  assert.ok(running.active_seconds >= 0);
  assert.ok((running.sessions[0]?.duration_seconds ?? -1) >= 0);
  summary.endProcess();
  const ended = summary.getSummaryDict();
  validateSummaryDict(JSON.parse(JSON.stringify(ended)));
  assert.is(ended.duration_seconds, 600);
  assert.equal(
    summary.progressUpdates.map((u) => u.elapsed_seconds),
    [600, 600],
  );
});

within.run();
