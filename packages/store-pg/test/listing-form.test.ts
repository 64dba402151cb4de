import {
  createManualClock,
  LISTING_FIELDS,
  listingOf,
  ProcessSummary,
} from '@process-summary/core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  BY_NAME,
  byKey,
  byName,
  decodeListing,
  encodeListing,
  listingOfStored,
  NAMED_FIELDS,
} from '../src/listing.js';

test('the stored form decodes to listingOf(dict): every field, absent and null kept apart', () => {
  const clock = createManualClock(1_750_000_000);
  const summary = new ProcessSummary({ runName: 'r', processName: 'p', worker: 'w1', clock });
  summary.startProcess();
  summary.setItemsTotal(10);
  summary.incrementItems({ processed: 3, successful: 2, failed: 1, bytes: 2 ** 40 });
  summary.addError('Nul\u0000Type', 'a\u0000b');
  summary.addError('Lone\ud800', 'x');
  summary.setCustomMetric('big', 'y'.repeat(1000));
  const dicts: Record<string, unknown>[] = [
    summary.getSummaryDict() as unknown as Record<string, unknown>,
    { run_name: 'r', process_name: 'p', items_total: null, end_time: null },
    {},
    {
      schema_version: 2,
      eta_seconds: 1.5e-7,
      start_time: -0.5,
      error_types: JSON.parse('{"__proto__": 1}'),
    },
  ];
  for (const dict of dicts) {
    const decoded = decodeListing(encodeListing(dict));
    assert.equal(decoded, listingOf(JSON.parse(JSON.stringify(dict))));
    assert.equal(Object.keys(decoded ?? {}), Object.keys(listingOf(dict) as object));
  }
  const all = Object.fromEntries(LISTING_FIELDS.map((key, i) => [key, i]));
  assert.equal(decodeListing(encodeListing(all)), all);
});

test('summaries with many different sets of fields each decode to their own', () => {
  for (let n = 0; n < 200; n++) {
    const dict = Object.fromEntries(
      LISTING_FIELDS.filter((_, i) => (n * 7919 + i * 31) % 3 !== 0).map((key, i) => [key, n + i]),
    );
    assert.equal(decodeListing(encodeListing(dict)), dict, `#${n}`);
  }
});

test('a key holding undefined is absent, as JSON.stringify leaves it out of the body', () => {
  const decoded = decodeListing(encodeListing({ run_name: 'r', items_total: undefined }));
  assert.equal(decoded, { run_name: 'r' });
  assert.not.ok(decoded !== undefined && 'items_total' in decoded);
});

test('text that is not the stored form decodes to undefined, never to a wrong dict', () => {
  for (const text of [
    '',
    'not json',
    '{"run_name": "r"}',
    '[]',
    '["1", "r"]',
    '[-1]',
    '[1.5, "x"]',
    '[3, "only one value"]',
    '[1, "r", "one too many"]',
    `[${2 ** LISTING_FIELDS.length}]`,
    'null',
  ]) {
    assert.is(decodeListing(text), undefined, text);
  }
  assert.equal(decodeListing('[0]'), {});
});

test('the named decode is written for the field list of this core, so it is the one taken', () => {
  assert.equal([...NAMED_FIELDS], [...LISTING_FIELDS]);
  assert.ok(BY_NAME);
});

/** The stored form of mask `present`, one distinct value per field present (or `extra` more or fewer). */
function storedOf(present: number, extra = 0): unknown[] {
  const values: unknown[] = [present];
  for (let i = 0; i < LISTING_FIELDS.length; i++) {
    if (Math.floor(present / 2 ** i) % 2 === 1) {
      // Values of every JSON kind, each telling which field it belongs to.
      const kinds = [i, `v${i}`, i % 2 === 0, null, { [`k${i}`]: i }, [i]];
      values.push(kinds[i % kinds.length]);
    }
  }
  if (extra > 0) values.push('one too many');
  if (extra < 0) values.pop();
  return values;
}

test('the named decode gives what the keyed decode gives, for every mask shape', () => {
  const n = LISTING_FIELDS.length;
  const all = 2 ** n - 1;
  const masks = new Set<number>([0, all]);
  for (let i = 0; i < n; i++) {
    masks.add(2 ** i); // one field alone
    masks.add(all - 2 ** i); // every field but one
    for (let j = i + 1; j < n; j++) {
      masks.add(2 ** i + 2 ** j); // two fields
      masks.add(all - 2 ** i - 2 ** j); // every field but two
    }
  }
  // And many mixes (a fixed sequence: the same masks every run).
  let x = 0x2545f491;
  for (let k = 0; k < 5000; k++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    masks.add((x >>> 0) % (all + 1));
  }
  for (const mask of masks) {
    const stored = storedOf(mask);
    const named = byName(stored, mask);
    const keyed = byKey(stored, mask);
    assert.ok(named, `mask ${mask}`);
    assert.equal(named, keyed, `mask ${mask}`);
    // The same keys in the same order: rows and JSON made from either are the same.
    assert.equal(Object.keys(named), Object.keys(keyed ?? {}), `mask ${mask}`);
    assert.equal(listingOfStored(stored), keyed, `mask ${mask}`);
    // One value too many or too few: neither decodes it.
    for (const extra of mask === 0 ? [1] : [1, -1]) {
      assert.is(byName(storedOf(mask, extra), mask), undefined, `mask ${mask} ${extra}`);
      assert.is(byKey(storedOf(mask, extra), mask), undefined, `mask ${mask} ${extra}`);
    }
  }
});

test('a stored form with an own __proto__ key in a value decodes it as data on both paths', () => {
  const stored = JSON.parse('[8388608, {"__proto__": 3, "constructor": 1}]') as unknown[];
  const named = byName(stored, 8388608) as { error_types: Record<string, number> };
  assert.equal(named, byKey(stored, 8388608));
  assert.ok(Object.hasOwn(named.error_types, '__proto__'));
  assert.is(Object.getPrototypeOf(named), Object.prototype);
});

test.run();
