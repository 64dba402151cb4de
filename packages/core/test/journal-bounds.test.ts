import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  MAX_JOURNAL_TEXT_LENGTH,
  MAX_PROGRESS_FIELDS_BYTES,
  ProcessSummary,
  replayEvents,
  resolveLimits,
  validateSummaryDict,
} from '../src/index.js';
import { fresh, throwsCode } from './_helpers.js';

// Every journal event is one line; a store's reader has a line limit (store-fs: 16 MiB) past
// which a line is taken for a torn one. What goes into an event is bounded at the call instead.
const bounds = suite('journal events are bounded at the call');

const utf8 = new TextEncoder();
/** The documented worst case of one journal line: 1 MiB of fields plus cut texts. */
const LINE_BOUND = 1.25 * 1024 * 1024;

function lineBytes(event: unknown): number {
  return utf8.encode(JSON.stringify(event)).length;
}

bounds(
  'addProgressUpdate refuses extra fields past MAX_PROGRESS_FIELDS_BYTES, recording nothing',
  () => {
    const { summary } = fresh();
    summary.startProcess();
    summary.takeEvents();
    throwsCode(
      () => summary.addProgressUpdate('m', { blob: 'x'.repeat(MAX_PROGRESS_FIELDS_BYTES) }),
      'E_INVALID_ARGUMENT',
      RangeError,
    );
    // Escaped characters count as written: 200,000 control characters are 1.2 MB of JSON.
    throwsCode(
      () => summary.addProgressUpdate('m', { blob: '\u0001'.repeat(200_000) }),
      'E_INVALID_ARGUMENT',
      RangeError,
    );
    assert.is(summary.progressUpdatesCount, 0);
    assert.is(summary.pendingEventCount, 0);
  },
);

bounds('fields just under the limit are journaled whole and kept out of the file', () => {
  const { summary } = fresh();
  summary.addProgressUpdate('m', { blob: 'x'.repeat(MAX_PROGRESS_FIELDS_BYTES - 100) });
  const [event] = summary.takeEvents();
  assert.is((event as { blob?: string }).blob?.length, MAX_PROGRESS_FIELDS_BYTES - 100);
  assert.ok(lineBytes(event) <= LINE_BOUND);
  assert.is(typeof summary.progressUpdates[0]?.extra_fields_omitted, 'number');
});

bounds('every event stays under the documented line bound, whatever the texts', () => {
  const { summary } = fresh({ limits: { maxMessageLength: MAX_JOURNAL_TEXT_LENGTH } });
  const huge = '\u0001'.repeat(1_000_000); // 6 bytes each once escaped
  summary.startProcess({ host: huge, pid: 1, bootId: huge });
  summary.addError(huge, huge);
  summary.addProgressUpdate(huge, { blob: 'x'.repeat(MAX_PROGRESS_FIELDS_BYTES - 100) });
  summary.recordInterruption({ reason: 'crash', detail: huge });
  summary.markInterrupted({ reason: 'signal', signal: huge });
  const events = summary.takeEvents();
  assert.is(events.length, 6);
  for (const event of events)
    assert.ok(lineBytes(event) <= LINE_BOUND, `${event.type}: ${lineBytes(event)}`);
  validateSummaryDict(JSON.parse(JSON.stringify(summary.getSummaryDict())));
});

bounds('limits that would let a text past the journal bound are refused', () => {
  for (const limits of [
    { maxMessageLength: MAX_JOURNAL_TEXT_LENGTH + 1 },
    { maxErrorTypeLength: MAX_JOURNAL_TEXT_LENGTH + 1 },
    { maxProgressFieldsBytes: MAX_PROGRESS_FIELDS_BYTES + 1 },
  ]) {
    throwsCode(() => resolveLimits(limits), 'E_INVALID_LIMITS', RangeError);
  }
});

bounds(
  'a session context or signal of the wrong type is refused before it reaches the file',
  () => {
    const { summary } = fresh();
    const bad: unknown[] = [
      { pid: 'x' },
      { pid: -1 },
      { pid: 1.5 },
      { host: 5 },
      { bootId: {} },
      null,
    ];
    for (const context of bad) {
      throwsCode(() => summary.startProcess(context as never), 'E_INVALID_ARGUMENT', TypeError);
    }
    assert.is(summary.sessionCount, 0);
    summary.startProcess({ host: 'h', pid: 7, bootId: null });
    throwsCode(
      () => summary.markInterrupted({ reason: 'signal', signal: 15 as never }),
      'E_INVALID_ARGUMENT',
      TypeError,
    );
    assert.is(summary.status, 'running');
    summary.markInterrupted({ reason: 'signal', signal: 'SIGTERM' });
    ProcessSummary.fromDict(JSON.parse(JSON.stringify(summary.getSummaryDict())));
  },
);

bounds('a progress field named type cannot make its event pass for another', () => {
  const { summary } = fresh();
  summary.startProcess();
  summary.incrementItems({ processed: 3 });
  summary.addProgressUpdate('m', { type: 'session_end', number: 1, end_reason: 'completed' });
  const events = summary.takeEvents();
  assert.equal(
    events.map((e) => e.type),
    ['session_start', 'progress'],
  );
  // The caller's field stays in the file's copy of the update.
  assert.is(summary.progressUpdates[0]?.type, 'session_end');
  const replayed = replayEvents('harvard_2024', 'collect', events).summary;
  assert.is(replayed.status, 'running');
  assert.is(replayed.progressUpdatesCount, 1);
});

bounds.run();
