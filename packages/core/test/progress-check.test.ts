import fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ProcessSummary, summarySchema } from '../src/index.js';
import { MAX_SUMMARY_DEPTH } from '../src/limits.js';
import { progressUpdatesPass, progressUpdatesSetAside } from '../src/progress-check.js';
import {
  checkSummaryDict,
  checkSummaryDictInFull,
  validateSummaryDict,
  validateSummaryDictInFull,
} from '../src/schema.js';
import { fresh, seedFixture } from './_helpers.js';

// The progress updates of a summary are checked by hand (src/progress-check.ts) and set aside
// before the schema validator and the hazard walk see the rest. These tests hold that fast path
// to the full check: the same answer, the same issues, for every update the schema or the
// hazard walk would refuse.
const fast = suite('the progress updates fast path');

type Dict = Record<string, unknown>;

/** `n` objects nested in each other, a number innermost: depth `n`. */
function nested(n: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < n; i++) value = { a: value };
  return value;
}

/** A summary as the library writes it, progress updates with extra fields included. */
function written(): Dict {
  const { summary, clock } = fresh();
  summary.startProcess();
  for (let i = 0; i < 3; i++) {
    clock.advance(10);
    summary.incrementItems({ processed: 10, successful: 9, failed: 1 });
    summary.addProgressUpdate(`batch ${i}`, {
      batch_size: 10,
      shard: 'a',
      detail: { files: [1, 2], ok: true },
    });
  }
  return summary.getSummaryDict() as unknown as Dict;
}

const BASES: readonly (() => Dict)[] = [written, () => seedFixture('collect')];

/** A valid update of the seed's shape. */
function update(i: number): Dict {
  return {
    timestamp: 322.5 + i,
    elapsed_seconds: i,
    message: `Processing batch ${i + 1}`,
    items_processed: (i + 1) * 10,
    items_successful: (i + 1) * 10,
    items_failed: 0,
    batch_size: 10,
  };
}

/** What a call gave: its value (the same object or a check result) or its error's code, message and issues. */
function outcome(call: () => unknown): unknown {
  try {
    return { returned: call() };
  } catch (err) {
    const e = err as { code?: unknown; message?: unknown; issues?: unknown };
    return { code: e.code, message: e.message, issues: e.issues };
  }
}

/** Asserts that both checks, fast path and full, give the same answer for `dict`. */
function assertSameAsFull(dict: unknown): void {
  assert.equal(checkSummaryDict(dict), checkSummaryDictInFull(dict), 'checkSummaryDict');
  assert.equal(
    outcome(() => validateSummaryDict(dict)),
    outcome(() => validateSummaryDictInFull(dict)),
    'validateSummaryDict',
  );
}

fast('it was written for these definitions of the schema (change it with them)', () => {
  const schema = summarySchema as {
    properties: Record<string, unknown>;
    $defs: Record<string, unknown>;
  };
  assert.equal(schema.properties.progress_updates, {
    type: 'array',
    items: { $ref: '#/$defs/progressUpdate' },
  });
  assert.equal(schema.$defs.progressUpdate, {
    type: 'object',
    required: [
      'timestamp',
      'elapsed_seconds',
      'message',
      'items_processed',
      'items_successful',
      'items_failed',
    ],
    properties: {
      timestamp: { $ref: '#/$defs/time' },
      elapsed_seconds: { type: 'number' },
      message: { type: 'string' },
      items_processed: { $ref: '#/$defs/count' },
      items_successful: { $ref: '#/$defs/count' },
      items_failed: { $ref: '#/$defs/count' },
    },
  });
  assert.equal(schema.$defs.count, { type: 'integer', minimum: 0 });
  const { description: _, ...time } = schema.$defs.time as Dict;
  assert.equal(time, { type: 'number', minimum: -8640000000000, maximum: 8640000000000 });
});

fast('it is taken for what the library writes, seed files and a 20,000-update file', () => {
  for (const base of BASES) {
    const dict = base();
    const aside = progressUpdatesSetAside(dict);
    assert.ok(aside !== undefined, 'the fast path was not taken');
    assert.equal(aside.progress_updates, []);
    assert.equal(Object.keys(aside), Object.keys(dict), 'every key, in its place');
    assert.equal({ ...aside, progress_updates: dict.progress_updates }, dict);
  }
  const big = {
    ...seedFixture('collect'),
    progress_updates: Array.from({ length: 20_000 }, (_, i) => update(i)),
  };
  assert.ok(progressUpdatesPass(big.progress_updates as unknown[]));
  assert.ok(progressUpdatesSetAside(big) !== undefined);
  assert.is(checkSummaryDict(big).valid, true);
  ProcessSummary.fromDict(big);
});

fast('an invalid update deep in a big array is reported as the full check reports it', () => {
  const updates: Dict[] = Array.from({ length: 20_000 }, (_, i) => update(i));
  const cases: [string, (u: Dict) => void, RegExp][] = [
    [
      'a string count',
      (u) => {
        u.items_processed = '10';
      },
      /at \/progress_updates\/15000\/items_processed: must be integer \(found "10"\)/,
    ],
    [
      'a missing message',
      (u) => {
        delete u.message;
      },
      /at \/progress_updates\/15000\/message: is required but missing/,
    ],
    [
      'a timestamp past what a Date holds',
      (u) => {
        u.timestamp = 9e12;
      },
      /at \/progress_updates\/15000\/timestamp: must be <= 8640000000000/,
    ],
    [
      'a negative count',
      (u) => {
        u.items_failed = -1;
      },
      /at \/progress_updates\/15000\/items_failed: must be >= 0/,
    ],
    [
      'an extra field out of range (1e400 in the file)',
      (u) => {
        u.batch_size = Number.POSITIVE_INFINITY;
      },
      /at \/progress_updates\/15000\/batch_size: is out of range/,
    ],
    [
      'an extra field nested too deep',
      (u) => {
        u.detail = nested(MAX_SUMMARY_DEPTH);
      },
      /at \/progress_updates\/15000\/detail(\/a)+: is nested deeper than 128 levels/,
    ],
  ];
  for (const [name, spoil, expected] of cases) {
    const spoilt = { ...(updates[15_000] as Dict) };
    spoil(spoilt);
    const dict = {
      ...seedFixture('collect'),
      progress_updates: updates.map((u, i) => (i === 15_000 ? spoilt : u)),
    };
    assert.is(progressUpdatesSetAside(dict), undefined, name);
    assertSameAsFull(dict);
    const error = outcome(() => validateSummaryDict(dict)) as { code: string; message: string };
    assert.is(error.code, 'E_INVALID_SUMMARY', name);
    assert.match(error.message, expected, name);
    const check = checkSummaryDict(dict);
    assert.is(check.valid, false, name);
    assert.is(check.issues.length, 1, `${name}: ${JSON.stringify(check.issues)}`);
  }
});

fast('an extra field nested as deep as the limit allows passes; one level more does not', () => {
  // The summary is depth 1, the array 2, an update 3: a field's value may nest 125 levels.
  for (const depth of [MAX_SUMMARY_DEPTH - 3, MAX_SUMMARY_DEPTH - 2]) {
    const dict = { ...written(), progress_updates: [{ ...update(0), detail: nested(depth) }] };
    assert.is(progressUpdatesPass(dict.progress_updates), depth === MAX_SUMMARY_DEPTH - 3);
    assert.is(checkSummaryDictInFull(dict).valid, depth === MAX_SUMMARY_DEPTH - 3);
    assertSameAsFull(dict);
  }
});

fast('a summary a copy would not read the same way is checked in full', () => {
  const base = written();
  const withGetter = { ...base };
  Object.defineProperty(withGetter, 'items_failed', { get: () => 1, enumerable: true });
  const hidden = { ...base };
  Object.defineProperty(hidden, 'custom_metrics', { value: {}, enumerable: false });
  const inherited = Object.assign(Object.create({ items_failed: 1 }) as Dict, base);
  delete inherited.items_failed;
  const updatesGetter = { ...base };
  Object.defineProperty(updatesGetter, 'progress_updates', { get: () => [], enumerable: true });
  const nullPrototype = Object.assign(Object.create(null) as Dict, base);
  for (const dict of [withGetter, hidden, inherited, updatesGetter, nullPrototype]) {
    assert.is(progressUpdatesSetAside(dict), undefined);
    assertSameAsFull(dict);
  }
  for (const notADict of [null, undefined, 1, 'x', [], [base]]) {
    assert.is(progressUpdatesSetAside(notADict), undefined);
    assertSameAsFull(notADict);
  }
});

fast('updates built by hand are read as the validator and the hazard walk read them', () => {
  const { elapsed_seconds: _, ...noElapsed } = update(0);
  const array = Object.assign([], update(0));
  const inherited = Object.create(update(0)) as Dict;
  // An elapsed time the validator reads (`update.elapsed_seconds`) but `for…in` does not list.
  const hiddenNaN = Object.assign(
    Object.create(
      Object.defineProperty({}, 'elapsed_seconds', { value: Number.NaN, enumerable: false }),
    ) as Dict,
    noElapsed,
  );
  const inheritedInfinity = Object.assign(
    Object.create({ extra: Number.POSITIVE_INFINITY }) as Dict,
    update(0),
  );
  const getter = Object.defineProperty({ ...update(0) }, 'items_failed', {
    get: () => 0,
    enumerable: true,
  });
  const hiddenField = Object.defineProperty({ ...update(0) }, 'extra', {
    value: Number.NaN,
    enumerable: false,
  });
  for (const u of [array, inherited, hiddenNaN, inheritedInfinity, getter, hiddenField]) {
    const dict = { ...written(), progress_updates: [update(1), u] };
    assert.is(progressUpdatesPass(dict.progress_updates), checkSummaryDictInFull(dict).valid);
    assertSameAsFull(dict);
  }
});

// Values for any field: valid ones, each kind of invalid one, and hazards.
const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(
    0,
    -0,
    1,
    -1,
    0.5,
    1e21,
    -8_640_000_000_000,
    8_640_000_000_000,
    8_640_000_000_001,
    -8_640_000_000_001,
    Number.MAX_VALUE,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    null,
    true,
    false,
    '',
    'x',
    '1',
    [],
    {},
    [1],
    [Number.NaN],
    { a: Number.POSITIVE_INFINITY },
  ),
  fc.integer({ min: -5, max: 1_000_000 }),
  fc.double(),
  fc.string({ maxLength: 5 }),
  fc.jsonValue({ maxDepth: 3 }),
  fc.integer({ min: MAX_SUMMARY_DEPTH - 5, max: MAX_SUMMARY_DEPTH - 1 }).map(nested),
);

const ABSENT = Symbol('absent');

/** A field's value: valid mostly, else anything, or absent. */
function field(valid: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 12, arbitrary: valid },
    { weight: 1, arbitrary: anyValue },
    { weight: 1, arbitrary: fc.constant(ABSENT) },
  );
}

const extraKey = fc.oneof(
  fc.constantFrom('batch_size', '__proto__', 'constructor', 'toString', 'timestamp', 'message'),
  fc.string({ maxLength: 4 }),
);

/** Something in the place of a progress update: mostly an update, valid or not; sometimes not an object. */
const anyUpdate: fc.Arbitrary<unknown> = fc.oneof(
  {
    weight: 12,
    arbitrary: fc
      .tuple(
        fc.array(fc.tuple(extraKey, fc.oneof(anyValue, fc.nat())), { maxLength: 3 }),
        fc.tuple(
          field(fc.double({ min: -8.64e12, max: 8.64e12, noNaN: true })),
          field(fc.double({ noNaN: true, noDefaultInfinity: true })),
          field(fc.string({ maxLength: 8 })),
          field(fc.nat()),
          field(fc.nat()),
          field(fc.nat()),
        ),
        fc.boolean(),
      )
      .map(([extras, values, extrasFirst]) => {
        const names = [
          'timestamp',
          'elapsed_seconds',
          'message',
          'items_processed',
          'items_successful',
          'items_failed',
        ];
        const required = names
          .map((name, i) => [name, values[i]] as const)
          .filter(([, value]) => value !== ABSENT);
        // As JSON.parse builds it: own data properties, `__proto__` an ordinary key.
        return Object.fromEntries(
          extrasFirst ? [...extras, ...required] : [...required, ...extras],
        );
      }),
  },
  { weight: 1, arbitrary: anyValue },
);

fast('an update passes the fast check exactly when the full check accepts it', () => {
  let passed = 0;
  let refused = 0;
  fc.assert(
    fc.property(anyUpdate, fc.integer({ min: 0, max: 1 }), (u, b) => {
      const dict = { ...(BASES[b] as () => Dict)(), progress_updates: [update(0), u, update(1)] };
      const pass = progressUpdatesPass(dict.progress_updates);
      assert.is(pass, checkSummaryDictInFull(dict).valid, JSON.stringify(u));
      if (pass) passed++;
      else refused++;
    }),
    { numRuns: 2000 },
  );
  // Both answers were exercised.
  assert.ok(passed > 200 && refused > 200, `passed ${passed}, refused ${refused}`);
});

/** Changes to the rest of a summary, valid or not, for the updates' check to be set beside. */
const ROOT_CHANGES: readonly ((d: Dict) => void)[] = [
  () => {},
  (d) => {
    d.items_failed = -1;
  },
  (d) => {
    d.run_name = '';
  },
  (d) => {
    delete d.generated_at;
  },
  (d) => {
    d.error_types = { NetworkError: 'x' };
  },
  (d) => {
    d.custom_metrics = { m: Number.POSITIVE_INFINITY };
  },
  (d) => {
    d.custom_metrics = { m: nested(MAX_SUMMARY_DEPTH) };
  },
  (d) => {
    d.schema_version = 99;
  },
  (d) => {
    d.schema_version = 1;
  },
  (d) => {
    d.progress_updates_count = 'x';
  },
  (d) => {
    d.start_time = Number.NaN;
  },
  (d) => {
    d.__proto__ = { polluted: true };
  },
  (d) => {
    Object.defineProperty(d, '__proto__', { value: 1, enumerable: true, writable: true });
  },
  (d) => {
    d.progress_updates = 'none';
  },
  (d) => {
    delete d.progress_updates;
  },
];

fast(
  'a summary gets the full check answer, issues and all, whatever its updates and the rest',
  () => {
    let taken = 0;
    let invalidTaken = 0;
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1 }),
        fc.array(anyUpdate, { maxLength: 4 }),
        fc.array(fc.nat(ROOT_CHANGES.length - 1), { maxLength: 3 }),
        (b, updates, changes) => {
          const dict = (BASES[b] as () => Dict)();
          dict.progress_updates = [update(0), ...updates, update(1)];
          for (const c of changes) (ROOT_CHANGES[c] as (d: Dict) => void)(dict);
          assertSameAsFull(dict);
          if (progressUpdatesSetAside(dict) !== undefined) {
            taken++;
            if (!checkSummaryDict(dict).valid) invalidTaken++;
          }
        },
      ),
      { numRuns: 1000 },
    );
    // The fast path was taken, for valid summaries and for summaries invalid elsewhere.
    assert.ok(
      taken - invalidTaken > 50 && invalidTaken > 50,
      `${taken} taken, ${invalidTaken} invalid`,
    );
  },
);

fast.run();
