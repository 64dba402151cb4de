import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ProcessSummary, replayEvents, resolveLimits } from '../src/index.js';
import { fresh, throwsCode } from './_helpers.js';

// `__proto__`, `constructor` and `prototype` are the user's data like any other key: stored as
// own keys, shown, read back, and never a way into a prototype.
const keys = suite('prototype-named keys are ordinary keys');

const NAMES = ['__proto__', 'constructor', 'prototype'] as const;

/** What JSON.parse makes of `{"__proto__": …}`: an own key, as a file would hold it. */
function parsed(text: string): Record<string, unknown> {
  return JSON.parse(text);
}

function roundTrip(summary: ProcessSummary): ProcessSummary {
  return ProcessSummary.fromDict(JSON.parse(JSON.stringify(summary.getSummaryDict())));
}

keys('as error types: counted, written, read back', () => {
  const { summary } = fresh();
  for (const name of NAMES) summary.addError(name, `a ${name} error`);
  for (const s of [summary, roundTrip(summary)]) {
    const dict = s.getSummaryDict();
    for (const name of NAMES) {
      assert.ok(Object.hasOwn(dict.error_types, name), name);
      assert.is(dict.error_types[name], 1, name);
      assert.equal(dict.error_details[name]?.samples, [`a ${name} error`], name);
      assert.is(s.errorTypes[name], 1, name);
    }
    assert.is(Object.getPrototypeOf(dict.error_types), Object.prototype);
    assert.is(Object.getPrototypeOf(dict.error_details), Object.prototype);
    assert.match(JSON.stringify(dict.error_types), '"__proto__":1');
  }
});

keys('as custom metric keys and inside metric values', () => {
  const { summary } = fresh();
  summary.setCustomMetric('__proto__', { polluted: true });
  summary.setCustomMetric('constructor', 1);
  summary.setCustomMetric('prototype', parsed('{"__proto__": {"x": 1}, "constructor": 2}'));
  for (const s of [summary, roundTrip(summary)]) {
    const metrics = s.getSummaryDict().custom_metrics;
    assert.is(Object.getPrototypeOf(metrics), Object.prototype);
    assert.equal(Object.keys(metrics), ['__proto__', 'constructor', 'prototype']);
    assert.equal(JSON.parse(JSON.stringify(metrics)), parsed(JSON.stringify(metrics)));
    assert.is(
      JSON.stringify(metrics),
      '{"__proto__":{"polluted":true},"constructor":1,"prototype":{"__proto__":{"x":1},"constructor":2}}',
    );
    assert.is((metrics as Record<string, unknown>).polluted, undefined);
  }
});

keys('as progress fields: in the kept update, the journal and a replay', () => {
  const { summary } = fresh();
  summary.startProcess();
  summary.addProgressUpdate(
    'm',
    parsed('{"__proto__": {"a": 1}, "constructor": 2, "prototype": 3}'),
  );
  const expected = '"__proto__":{"a":1},"constructor":2,"prototype":3';
  const update = summary.getSummaryDict().progress_updates[0];
  assert.ok(update !== undefined && Object.hasOwn(update, '__proto__'));
  assert.ok(JSON.stringify(update).includes(expected));
  assert.ok(JSON.stringify(roundTrip(summary).progressUpdates[0]).includes(expected));
  assert.ok(JSON.stringify(summary.getProgressSummary()).includes(expected));
  const events = summary.takeEvents();
  const progress = events.find((e) => e.type === 'progress');
  assert.ok(JSON.stringify(progress).includes(expected));
  const replayed = replayEvents('harvard_2024', 'collect', JSON.parse(JSON.stringify(events)));
  assert.ok(JSON.stringify(replayed.summary.progressUpdates[0]).includes(expected));
});

keys('no field reaches a stored update through the prototype chain', () => {
  const { summary } = fresh();
  Object.defineProperty(Object.prototype, 'injected', {
    value: 'from the prototype',
    enumerable: true,
    configurable: true,
    writable: true,
  });
  try {
    summary.addProgressUpdate('m', { batch: 1 });
    summary.addProgressUpdate('m', { batch: { nested: 1 } });
    summary.setCustomMetric('k', { nested: [1] });
  } finally {
    delete (Object.prototype as Record<string, unknown>).injected;
  }
  const text = JSON.stringify(summary.getSummaryDict()) + JSON.stringify(summary.takeEvents());
  assert.not.ok(text.includes('injected'), text);
});

keys('an extra object whose prototype has fields is refused, with a code', () => {
  const { summary } = fresh();
  const fields = Object.assign(Object.create({ injected: 1 }), { batch: 1 });
  throwsCode(() => summary.addProgressUpdate('m', fields), 'E_INVALID_ARGUMENT', TypeError);
  throwsCode(() => summary.setCustomMetric('k', fields), 'E_INVALID_METRIC', TypeError);
  assert.is(summary.progressUpdatesCount, 0);
});

keys('a file whose error_types has __proto__ without details loads', () => {
  const { summary } = fresh();
  summary.addError('E', 'm');
  const dict = JSON.parse(
    JSON.stringify(summary.getSummaryDict()).replace('"E":1', '"__proto__":1'),
  );
  dict.error_details = {};
  dict.error_count = 1;
  const loaded = ProcessSummary.fromDict(dict);
  assert.is(loaded.errorTypes.__proto__, 1);
  assert.ok(Object.hasOwn(loaded.getSummaryDict().error_details, '__proto__'));
});

keys('limits named after Object.prototype members are unknown limits', () => {
  for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
    throwsCode(() => resolveLimits(parsed(`{"${name}": 5}`)), 'E_INVALID_LIMITS', RangeError);
  }
});

keys.run();
