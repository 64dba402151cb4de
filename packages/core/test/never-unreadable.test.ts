import fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  ProcessSummary,
  replayEvents,
  type SummaryEvent,
  validateSummaryDict,
} from '../src/index.js';
import { T0 } from './_helpers.js';

// The class, not the instances: whatever a caller does (hostile keys and texts, values the
// library refuses, clocks stepped back within and between processes), every dict the library
// writes passes its own reader, and its journal replays.
const property = suite('never write what cannot be read');

const HOUR = 3600;
const text = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'type', 'toString', '\ud800', ''),
);
const key = fc.oneof(fc.constantFrom('__proto__', 'constructor', 'prototype', 'type'), fc.string());

type Op =
  | { op: 'increment'; n: number }
  | { op: 'error'; type: string; message: string }
  | { op: 'progress'; message: string; fields: Record<string, unknown> }
  | { op: 'metric'; key: string; value: unknown }
  | { op: 'clock'; seconds: number }
  | { op: 'reload'; shift: number }
  | { op: 'rebuild'; shift: number }
  | { op: 'total'; n: number | null }
  | { op: 'detect' }
  | { op: 'start' }
  | { op: 'end'; failed: boolean }
  | { op: 'interrupted' }
  | { op: 'interruption'; detail: string };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('increment' as const), n: fc.nat(1000) }),
  fc.record({ op: fc.constant('error' as const), type: text, message: text }),
  fc.record({
    op: fc.constant('progress' as const),
    message: text,
    fields: fc.dictionary(key, fc.jsonValue({ maxDepth: 4 })),
  }),
  fc.record({
    op: fc.constant('metric' as const),
    key,
    value: fc.oneof(
      fc.jsonValue({ maxDepth: 4 }),
      fc.constant(Number.NaN),
      fc.bigInt(),
      fc.integer({ min: 60, max: 70 }).map(nested),
    ),
  }),
  fc.record({
    op: fc.constant('clock' as const),
    seconds: fc.integer({ min: -3 * HOUR, max: 3 * HOUR }),
  }),
  fc.record({
    op: fc.constant('reload' as const),
    shift: fc.integer({ min: -5 * HOUR, max: 5 * HOUR }),
  }),
  fc.record({
    op: fc.constant('rebuild' as const),
    shift: fc.integer({ min: -5 * HOUR, max: 5 * HOUR }),
  }),
  fc.record({ op: fc.constant('total' as const), n: fc.option(fc.nat(5000)) }),
  fc.record({ op: fc.constant('detect' as const) }),
  fc.record({ op: fc.constant('start' as const) }),
  fc.record({ op: fc.constant('end' as const), failed: fc.boolean() }),
  fc.record({ op: fc.constant('interrupted' as const) }),
  fc.record({ op: fc.constant('interruption' as const), detail: text }),
);

/** An array nested `depth` levels deep, around the depth limit. */
function nested(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

function apply(ops: Op[]): void {
  let wall = T0;
  const clock = { now: () => wall };
  const limits = { maxProgressFieldsBytes: 64, maxProgressUpdates: 3, maxSessions: 2 };
  let summary = new ProcessSummary({ runName: 'r', processName: 'p', clock, limits });
  const events: SummaryEvent[] = [];
  for (const step of ops) {
    try {
      switch (step.op) {
        case 'increment':
          summary.incrementItems({
            processed: step.n,
            successful: step.n >> 1,
            failed: step.n & 1,
          });
          break;
        case 'error':
          summary.addError(step.type, step.message);
          break;
        case 'progress':
          summary.addProgressUpdate(step.message, step.fields);
          break;
        case 'metric':
          summary.setCustomMetric(step.key, step.value);
          break;
        case 'clock':
          wall += step.seconds;
          break;
        case 'reload': {
          events.push(...summary.takeEvents());
          const text = JSON.stringify(summary.getSummaryDict());
          wall += step.shift;
          summary = ProcessSummary.fromDict(JSON.parse(text), { clock, limits });
          break;
        }
        case 'rebuild': {
          // The summary file lost: the run rebuilt from its journal, then resumed.
          events.push(...summary.takeEvents());
          if (events.length === 0) break;
          wall += step.shift;
          const journal = JSON.parse(JSON.stringify(events));
          summary = replayEvents('r', 'p', journal, { clock, limits }).summary;
          break;
        }
        case 'total':
          summary.setItemsTotal(step.n);
          break;
        case 'detect':
          summary.detectInterruption();
          break;
        case 'start':
          summary.startProcess({ host: 'h', pid: 1 });
          break;
        case 'end':
          summary.endProcess({ outcome: step.failed ? 'failed' : 'completed' });
          break;
        case 'interrupted':
          summary.markInterrupted({ reason: 'signal', signal: 'SIGTERM' });
          break;
        case 'interruption':
          summary.recordInterruption({ reason: 'crash', detail: step.detail });
          break;
      }
    } catch (err) {
      // Refusals are allowed; an uncoded error (a crash of the library) is not.
      assert.type((err as { code?: unknown }).code, 'string', String(err));
    }
    const dict = JSON.parse(JSON.stringify(summary.getSummaryDict()));
    validateSummaryDict(dict);
    assert.ok(dict.duration_seconds === null || dict.duration_seconds >= 0);
  }
  events.push(...summary.takeEvents());
  if (events.length > 0) {
    const replayed = replayEvents('r', 'p', JSON.parse(JSON.stringify(events)));
    validateSummaryDict(JSON.parse(JSON.stringify(replayed.summary.getSummaryDict())));
  }
}

property('any sequence of calls writes dicts the reader accepts and a journal that replays', () => {
  fc.assert(
    fc.property(fc.array(op, { maxLength: 40 }), (ops) => apply(ops)),
    { numRuns: 300 },
  );
});

property.run();
