/**
 * The live overview orders what it shows of a process by the server's clock (the `now` of the
 * answer or stream event that brought it), never by the writer's: a row's `last_update_time`
 * is the pipeline's own clock, which may be stepped back (NTP, a VM restored) or be behind on
 * another host (a run replaced by `fresh`). (Review finding 4.)
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { SummaryRow } from '../src/api.js';
import { applyChanges, type JudgedAt, mergeAnswer, rowKey } from '../web/table.js';
import { rowFixture } from './_rows.ts';

function row(fields: Partial<SummaryRow>): SummaryRow {
  return rowFixture('nightly', 'collect', { status: 'running', file_status: 'running', ...fields });
}

const KEY = rowKey('nightly', 'collect');
/** Server times, epoch seconds. */
const FETCHED_AT = 1_796_000_200;

test('a save made after the writer clock was stepped back still updates the live overview', () => {
  // Shown: a save at 12:00:00 by the writer's (fast) clock, brought by a fetch.
  const shown = row({ items_processed: 100, last_update_time: 1_796_000_100 });
  const judgedAt: JudgedAt = new Map([[KEY, FETCHED_AT]]);
  // NTP steps the writer's clock back 10 minutes; the next save is really later.
  const next = row({ items_processed: 5000, last_update_time: 1_796_000_100 - 600 + 1 });
  const [applied] = applyChanges(
    [shown],
    [{ kind: 'row', row: next, now: FETCHED_AT + 1 }],
    judgedAt,
  );
  assert.is(applied?.items_processed, 5000, 'the stream event of a newer save was dropped');
  assert.is(judgedAt.get(KEY), FETCHED_AT + 1);
  // Without server times (a change of unknown age), the stream's order is kept.
  const [plain] = applyChanges([shown], [{ kind: 'row', row: next }]);
  assert.is(plain?.items_processed, 5000);
});

test('a run replaced by `fresh` on a host whose clock is behind shows the new run live', () => {
  const old = row({
    status: 'completed',
    file_status: 'completed',
    items_processed: 9000,
    last_update_time: 1_796_000_100,
  });
  const fresh = row({
    items_processed: 3,
    start_time: 1_796_000_000,
    last_update_time: 1_796_000_050,
  });
  const judgedAt: JudgedAt = new Map([[KEY, FETCHED_AT]]);
  const [applied] = applyChanges([old], [{ kind: 'row', row: fresh, now: FETCHED_AT }], judgedAt);
  assert.is(applied?.status, 'running', 'the overview keeps showing the replaced run');
  assert.is(applied?.items_processed, 3);
});

test('an event the server judged before the fetch that brought the row does not undo it', () => {
  // The writer's clock says the event is later; the server read it before the fetch did.
  const fetched = row({ items_processed: 20, last_update_time: 1_796_000_100 });
  const late = row({ items_processed: 10, last_update_time: 1_796_000_900 });
  const judgedAt: JudgedAt = new Map([[KEY, FETCHED_AT]]);
  const [kept] = applyChanges(
    [fetched],
    [{ kind: 'row', row: late, now: FETCHED_AT - 1 }],
    judgedAt,
  );
  assert.is(kept, fetched);
  assert.is(judgedAt.get(KEY), FETCHED_AT);
  // Nor does an older `gone` remove it.
  const after = applyChanges(
    [fetched],
    [{ kind: 'gone', run: 'nightly', process: 'collect', now: FETCHED_AT - 1 }],
    judgedAt,
  );
  assert.equal(after, [fetched]);
});

test('a fetch keeps what stream events judged after it brought, and replaces the rest', () => {
  const changed = row({ items_processed: 50 });
  const added = row({ run_name: 'added', location: 'added/collect' });
  const other = row({ run_name: 'other', location: 'other/collect', items_processed: 1 });
  const shown = {
    rows: [changed, added],
    judgedAt: new Map([
      [KEY, FETCHED_AT + 2],
      [rowKey('added', 'collect'), FETCHED_AT + 1],
      [rowKey('removed', 'collect'), FETCHED_AT + 1],
      [rowKey('other', 'collect'), FETCHED_AT - 5],
    ]),
  };
  // The answer was judged at FETCHED_AT: before the change, the addition and the removal.
  const answer = [
    row({ items_processed: 40 }),
    row({ run_name: 'other', location: 'other/collect', items_processed: 2 }),
    row({ run_name: 'removed', location: 'removed/collect' }),
  ];
  const merged = mergeAnswer(shown, answer, FETCHED_AT);
  const byRun = new Map(merged.rows.map((r) => [r.run_name, r]));
  assert.equal([...byRun.keys()].sort(), ['added', 'nightly', 'other']);
  assert.is(byRun.get('nightly'), changed);
  assert.is(byRun.get('other')?.items_processed, 2, 'an older row is replaced by the answer');
  assert.is(merged.judgedAt.get(rowKey('other', 'collect')), FETCHED_AT);
  assert.is(merged.judgedAt.get(KEY), FETCHED_AT + 2);
  // Rows the answer does not have and no later event brought are gone.
  assert.equal(mergeAnswer({ rows: [other], judgedAt: new Map() }, [], FETCHED_AT).rows, []);
});

test.run();
