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

const files = suite('a file the reader accepts is written back readable');

/** Every path to a value in `value`, as keys. */
function paths(value: unknown, prefix: string[] = [], out: string[][] = []): string[][] {
  out.push(prefix);
  if (typeof value === 'object' && value !== null) {
    for (const k of Object.keys(value))
      paths((value as Record<string, unknown>)[k], [...prefix, k], out);
  }
  return out;
}

function setAt(root: Record<string, unknown>, path: string[], value: unknown): void {
  let target: Record<string, unknown> = root;
  for (const k of path.slice(0, -1)) target = target[k] as Record<string, unknown>;
  const last = path[path.length - 1] as string;
  Object.defineProperty(target, last, {
    value,
    writable: true,
    enumerable: true,
    configurable: true,
  });
}

function sampleDict(): Record<string, unknown> {
  let wall = T0;
  const clock = { now: () => wall };
  const summary = new ProcessSummary({ runName: 'r', processName: 'p', clock });
  summary.startProcess({ host: 'h', pid: 1, bootId: 'b' });
  summary.setItemsTotal(100);
  summary.incrementItems({ processed: 10, successful: 9, failed: 1 });
  summary.addError('E', 'm');
  summary.addProgressUpdate('m', { extra: { a: [1] } });
  summary.setCustomMetric('k', { v: 1 });
  wall += 60;
  summary.markInterrupted({ reason: 'exit' });
  return JSON.parse(JSON.stringify(summary.getSummaryDict()));
}

const hostileValue = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(-1, 0, 1e15, -1e15, 8.64e12, -8.64e12, 2 ** 53, 1.5, '', '__proto__', null),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

files('any single field changed: either a coded refusal or a summary that saves readable', () => {
  const base = sampleDict();
  const all = paths(base).filter((p) => p.length > 0);
  fc.assert(
    fc.property(
      fc.nat(all.length - 1),
      hostileValue,
      fc.integer({ min: -5 * HOUR, max: 5 * HOUR }),
      (i, value, shift) => {
        const dict = structuredClone(base);
        setAt(dict, all[i] as string[], value);
        let summary: ProcessSummary;
        const clock = { now: () => T0 + shift };
        try {
          summary = ProcessSummary.fromDict(JSON.parse(JSON.stringify(dict)), { clock });
        } catch (err) {
          assert.type((err as { code?: unknown }).code, 'string', String(err));
          return;
        }
        validateSummaryDict(JSON.parse(JSON.stringify(summary.getSummaryDict())));
        summary.startProcess();
        summary.incrementItems({ processed: 1 });
        summary.addError('E', 'again');
        summary.addProgressUpdate('resumed');
        validateSummaryDict(JSON.parse(JSON.stringify(summary.getSummaryDict())));
        summary.endProcess();
        validateSummaryDict(JSON.parse(JSON.stringify(summary.getSummaryDict())));
      },
    ),
    { numRuns: 1000 },
  );
});

files.run();

const journals = suite('a journal with a hostile event still replays');

function sampleJournal(): Record<string, unknown>[] {
  let wall = T0;
  const clock = { now: () => wall };
  const summary = new ProcessSummary({ runName: 'r', processName: 'p', clock });
  summary.startProcess({ host: 'h', pid: 1, bootId: 'b' });
  summary.incrementItems({ processed: 10, successful: 9, failed: 1, bytes: 5 });
  summary.addError('E', 'm');
  wall += 10;
  summary.addProgressUpdate('m', { extra: { a: [1] } });
  summary.markInterrupted({ reason: 'signal', signal: 'SIGTERM' });
  const next = ProcessSummary.fromDict(JSON.parse(JSON.stringify(summary.getSummaryDict())), {
    clock,
  });
  wall -= HOUR;
  next.recordInterruption({ reason: 'crash', detail: 'gone' });
  next.startProcess();
  wall += 5;
  next.addProgressUpdate('again');
  next.endProcess();
  return JSON.parse(JSON.stringify([...summary.takeEvents(), ...next.takeEvents()]));
}

journals(
  'any single field of one event changed: the replay skips it or uses it, and writes readable',
  () => {
    const base = sampleJournal();
    const all = paths(base).filter((p) => p.length > 1);
    fc.assert(
      fc.property(fc.nat(all.length - 1), hostileValue, (i, value) => {
        const events = structuredClone(base);
        setAt(events as unknown as Record<string, unknown>, all[i] as string[], value);
        const { summary } = replayEvents('r', 'p', JSON.parse(JSON.stringify(events)));
        validateSummaryDict(JSON.parse(JSON.stringify(summary.getSummaryDict())));
        summary.startProcess();
        summary.addProgressUpdate('resumed');
        summary.endProcess();
        validateSummaryDict(JSON.parse(JSON.stringify(summary.getSummaryDict())));
      }),
      { numRuns: 1000 },
    );
  },
);

journals.run();
