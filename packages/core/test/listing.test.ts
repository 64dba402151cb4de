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
});

test.run();
