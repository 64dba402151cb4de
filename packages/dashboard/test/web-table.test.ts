import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { SummaryRow } from '../src/api.js';
import {
  applyChanges,
  DEFAULT_QUERY,
  filterRows,
  pageOf,
  parseQuery,
  queryString,
  rowKey,
  sortRows,
  statusCounts,
} from '../web/table.js';
import { rowFixture as row } from './_rows.ts';

const names = (rows: readonly SummaryRow[]) => rows.map((r) => `${r.run_name}/${r.process_name}`);

test('the query round-trips through the URL and the defaults leave it empty', () => {
  assert.is(queryString(DEFAULT_QUERY), '');
  const query = {
    statuses: ['crashed', 'stale'] as SummaryRow['status'][],
    text: 'a b&c',
    sort: 'rate' as const,
    dir: 'asc' as const,
    page: 3,
  };
  const text = queryString(query);
  assert.equal(parseQuery(text), query);
  assert.equal(parseQuery(''), DEFAULT_QUERY);
});

test('unknown statuses, columns, directions and pages in the URL fall back to defaults', () => {
  const query = parseQuery('?status=running,bogus,running&sort=__proto__&dir=up&page=-4');
  assert.equal(query.statuses, ['running']);
  assert.is(query.sort, DEFAULT_QUERY.sort);
  assert.is(query.dir, DEFAULT_QUERY.dir);
  assert.is(query.page, 1);
  // A column without a direction sorts its natural way: numbers biggest first.
  assert.is(parseQuery('?sort=processed').dir, 'desc');
  assert.is(parseQuery('?sort=run').dir, 'asc');
});

test('status filters keep the chosen statuses, and text matches run or process in any case', () => {
  const rows = [
    row('Alpha', 'collect', { status: 'running' }),
    row('beta', 'sync', { status: 'stale' }),
    row('gamma', 'COLLECT', { status: 'crashed' }),
  ];
  assert.equal(names(filterRows(rows, ['stale', 'crashed'], '')), ['beta/sync', 'gamma/COLLECT']);
  assert.equal(names(filterRows(rows, [], 'collect')), ['Alpha/collect', 'gamma/COLLECT']);
  assert.equal(names(filterRows(rows, [], 'alpha/col')), ['Alpha/collect']);
  assert.equal(names(filterRows(rows, ['running'], 'sync')), []);
  assert.is(filterRows(rows, [], '  ').length, 3);
});

test('the default sort puts crashed and stale runs first', () => {
  const rows = [
    row('a', 'p', { status: 'completed' }),
    row('b', 'p', { status: 'running' }),
    row('c', 'p', { status: 'stale' }),
    row('d', 'p', { status: 'crashed' }),
    row('e', 'p', { status: 'failed' }),
  ];
  assert.equal(names(sortRows(rows, DEFAULT_QUERY.sort, DEFAULT_QUERY.dir)), [
    'd/p',
    'c/p',
    'e/p',
    'b/p',
    'a/p',
  ]);
});

test('sorting by a number orders both ways, rows without a value last, ties by name', () => {
  const rows = [
    row('b', 'p', { eta_seconds: 30 }),
    row('a', 'p', { eta_seconds: null }),
    row('c', 'p', { eta_seconds: 10 }),
    row('a', 'q', { eta_seconds: 30 }),
  ];
  assert.equal(names(sortRows(rows, 'eta', 'asc')), ['c/p', 'a/q', 'b/p', 'a/p']);
  assert.equal(names(sortRows(rows, 'eta', 'desc')), ['a/q', 'b/p', 'c/p', 'a/p']);
  assert.equal(names(rows), ['b/p', 'a/p', 'c/p', 'a/q'], 'the input is left as it was');
});

test('progress sorts by percent of the total; names sort by code point', () => {
  const rows = [
    row('x', 'p', { items_processed: 5, items_total: 10 }),
    row('y', 'p', { items_processed: 90, items_total: 100 }),
    row('z', 'p', { items_processed: 7, items_total: null }),
    row('B', 'p'),
  ];
  assert.equal(names(sortRows(rows, 'progress', 'desc')), ['y/p', 'x/p', 'B/p', 'z/p']);
  assert.equal(names(sortRows(rows, 'run', 'asc')), ['B/p', 'x/p', 'y/p', 'z/p']);
});

test('pages cut 100 rows at a time and a page past the end shows the last', () => {
  const rows = Array.from({ length: 10_050 }, (_, i) => i);
  const first = pageOf(rows, 1);
  assert.is(first.rows.length, 100);
  assert.is(first.pages, 101);
  assert.is(first.from, 1);
  assert.is(first.to, 100);
  const last = pageOf(rows, 500);
  assert.is(last.page, 101);
  assert.equal(last.rows, rows.slice(10_000));
  assert.is(last.from, 10_001);
  assert.is(last.to, 10_050);
  const empty = pageOf([], 3);
  assert.equal([empty.page, empty.pages, empty.rows.length], [1, 1, 0]);
});

test('a changed row replaces its own in place, a new one is added, a gone one removed', () => {
  const a = row('r', 'a');
  const b = row('r', 'b');
  const rows = [a, b];
  const changed = row('r', 'b', { items_processed: 5, last_update_time: 1_796_000_200 });
  const next = applyChanges(rows, [{ kind: 'row', row: changed }]);
  assert.is(next[0], a, 'other rows stay the same objects');
  assert.is(next[1], changed);
  assert.is(rows[1], b, 'the input is left as it was');
  assert.equal(names(applyChanges(rows, [{ kind: 'row', row: row('s', 'a') }])), [
    'r/a',
    'r/b',
    's/a',
  ]);
  assert.equal(names(applyChanges(rows, [{ kind: 'gone', run: 'r', process: 'a' }])), ['r/b']);
});

test('a process gone and back in one batch is shown once, as it came back', () => {
  const back = row('r', 'a', { items_processed: 1 });
  const next = applyChanges(
    [row('r', 'a'), row('r', 'b')],
    [
      { kind: 'gone', run: 'r', process: 'a' },
      { kind: 'row', row: back },
    ],
  );
  assert.equal(names(next), ['r/b', 'r/a']);
  assert.is(next[1], back);
});

test('an event older than the row a fetch already brought does not undo it', () => {
  // "Older" by the server's clock: the fetch was judged at 200, the event at 199.
  const fetched = row('r', 'a', { items_processed: 20, last_update_time: 1_796_000_200 });
  const late = row('r', 'a', { items_processed: 10, last_update_time: 1_796_000_100 });
  const judgedAt = new Map([[rowKey('r', 'a'), 1_796_000_200]]);
  assert.is(
    applyChanges([fetched], [{ kind: 'row', row: late, now: 1_796_000_199 }], judgedAt)[0],
    fetched,
  );
  // A status judged again without a save, at the same server time or later, does replace it.
  const rejudged = row('r', 'a', { status: 'stale', last_update_time: 1_796_000_200 });
  assert.is(
    applyChanges([fetched], [{ kind: 'row', row: rejudged, now: 1_796_000_200 }], judgedAt)[0],
    rejudged,
  );
});

test('status counts cover every status, zero included', () => {
  const counts = statusCounts([
    row('a', 'p', { status: 'running' }),
    row('b', 'p', { status: 'running' }),
    row('c', 'p', { status: 'stale' }),
  ]);
  assert.equal(counts, {
    crashed: 0,
    stale: 1,
    failed: 0,
    interrupted: 0,
    completed_with_failures: 0,
    running: 2,
    completed: 0,
  });
});

test.run();
