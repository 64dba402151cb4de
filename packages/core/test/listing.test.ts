import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkListedFields, LISTING_FIELDS, listingOf } from '../src/index.js';
import { fresh, seedFixture } from './_helpers.js';

/** `dict` behind a proxy that records every key read of it. */
function recording(dict: Record<string, unknown>): {
  dict: Record<string, unknown>;
  read: Set<string>;
} {
  const read = new Set<string>();
  const proxy = new Proxy(dict, {
    get(target, key, receiver) {
      if (typeof key === 'string') read.add(key);
      return Reflect.get(target, key, receiver);
    },
    has(target, key) {
      if (typeof key === 'string') read.add(key);
      return Reflect.has(target, key);
    },
  });
  return { dict: proxy, read };
}

test('a listing check reads only LISTING_FIELDS, so it judges a projection as the whole', () => {
  const { summary } = fresh();
  summary.incrementItems({ processed: 3, successful: 2, failed: 1 });
  for (const whole of [summary.getSummaryDict(), seedFixture('collect')] as Record<
    string,
    unknown
  >[]) {
    const { dict, read } = recording(whole);
    const check = checkListedFields(dict);
    assert.ok(check.valid);
    assert.equal(
      [...read].filter((key) => !(LISTING_FIELDS as readonly string[]).includes(key)),
      [],
    );
    assert.equal(checkListedFields(listingOf(whole)), check);
  }
});

test('a projection of an invalid dict is judged invalid the same way', () => {
  const { summary } = fresh();
  const bad = { ...summary.getSummaryDict(), items_failed: -1 } as Record<string, unknown>;
  assert.equal(checkListedFields(listingOf(bad)), checkListedFields(bad));
  const newer = { ...summary.getSummaryDict(), schema_version: 99 } as Record<string, unknown>;
  assert.equal(checkListedFields(listingOf(newer)), checkListedFields(newer));
  for (const notObject of [null, 7, 'text', [1, 2]]) {
    assert.is(listingOf(notObject), notObject, 'not an object: left for the check to refuse');
  }
});

test('listingOf keeps own listing keys with their values, leaves absent keys absent', () => {
  const { summary } = fresh();
  summary.setCustomMetric('rows', 5);
  const whole = summary.getSummaryDict() as unknown as Record<string, unknown>;
  const cut = listingOf(whole) as Record<string, unknown>;
  assert.equal(
    Object.keys(cut),
    LISTING_FIELDS.filter((key) => key in whole),
  );
  for (const key of Object.keys(cut)) assert.is(cut[key], whole[key], key);
  assert.not.ok('custom_metrics' in cut);
  const seed = listingOf(seedFixture('sync')) as Record<string, unknown>;
  assert.not.ok('schema_version' in seed, 'a seed-format dict stays without schema_version');
  assert.not.ok('status' in seed);
  const hostile = JSON.parse('{"__proto__": {"run_name": "x"}, "items_total": null}');
  const cutHostile = listingOf(hostile) as Record<string, unknown>;
  assert.equal(Object.keys(cutHostile), ['items_total']);
  assert.is(cutHostile.items_total, null, 'null stays null, not absent');
  assert.is(Object.getPrototypeOf(cutHostile), Object.prototype);
});

test('a listing check refuses each listed field when it is wrong, reporting the first in order', () => {
  const { summary } = fresh();
  const good = summary.getSummaryDict() as unknown as Record<string, unknown>;
  assert.ok(checkListedFields(good).valid);
  const numbers = [
    'items_processed',
    'items_successful',
    'items_failed',
    'error_count',
    'interruption_count',
    'processing_rate_per_second',
    'success_rate_percent',
    'start_time',
  ];
  for (const key of ['run_name', 'process_name']) {
    for (const bad of [undefined, 7, null]) {
      const check = checkListedFields({ ...good, [key]: bad });
      assert.not.ok(check.valid, `${key} = ${bad}`);
      assert.is(check.issues[0]?.path, `/${key}`);
      assert.is(check.issues[0]?.message, 'must be string');
    }
  }
  for (const key of numbers) {
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY, '3', null, undefined]) {
      const check = checkListedFields({ ...good, [key]: bad });
      assert.not.ok(check.valid, `${key} = ${String(bad)}`);
      assert.equal(check.issues[0]?.path, `/${key}`, `${key} = ${String(bad)}`);
    }
    assert.ok(checkListedFields({ ...good, [key]: 0 }).valid, `${key} = 0`);
  }
  // Two wrong: the first in the order above is the one reported.
  const two = checkListedFields({ ...good, start_time: -1, items_failed: 'x', run_name: 1 });
  assert.is(two.issues[0]?.path, '/run_name');
  const numbersOnly = checkListedFields({ ...good, start_time: -1, items_failed: 'x' });
  assert.is(numbersOnly.issues[0]?.path, '/items_failed');
  assert.equal(numbersOnly.issues[0]?.found, '"x"');
});

test('listingOf copies exactly LISTING_FIELDS, each one alone and all together, in their order', () => {
  // listingOf writes each field out by hand: this holds it to the list.
  const every = Object.fromEntries(
    [...LISTING_FIELDS, 'custom_metrics', 'progress_updates'].map((key, i) => [key, i]),
  );
  assert.equal(Object.keys(listingOf(every) as object), [...LISTING_FIELDS]);
  assert.equal(
    Object.values(listingOf(every) as object),
    LISTING_FIELDS.map((_, i) => i),
  );
  for (const key of LISTING_FIELDS) {
    assert.equal(listingOf({ [key]: 'v', other: 1 }), { [key]: 'v' }, key);
  }
  assert.equal(listingOf({}), {});
  // A key holding undefined is absent, as JSON would have it.
  assert.equal(listingOf({ run_name: 'r', worker: undefined }), { run_name: 'r' });
  // An object with a prototype of its own: its own keys only, never inherited ones.
  const inherited = Object.create({ run_name: 'inherited' }) as Record<string, unknown>;
  inherited.process_name = 'p';
  inherited.items_total = null;
  assert.equal(Object.entries(listingOf(inherited) as object), [
    ['process_name', 'p'],
    ['items_total', null],
  ]);
  const bare = Object.assign(Object.create(null) as Record<string, unknown>, every);
  assert.equal(Object.keys(listingOf(bare) as object), [...LISTING_FIELDS]);
});

test.run();
