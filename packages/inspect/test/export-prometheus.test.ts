import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { toPrometheus } from '../src/export/prometheus.js';
import { summaryRow } from '../src/rows.js';
import { judgeStatus } from '../src/status.js';
import { groupWorkers } from '../src/workers.js';
import { readOf, rowOf, seedFixture, started, T0 } from './_helpers.js';

function series(text: string): string[] {
  return text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
}

test('a crashed run exports no rate and no ETA; a running one exports both', async () => {
  const live = started({ runName: 'live' });
  live.summary.setItemsTotal(1000);
  live.clock.advance(10);
  live.summary.incrementItems({ processed: 100, successful: 100 });
  const dead = started({ runName: 'dead' });
  dead.summary.setItemsTotal(1000);
  dead.clock.advance(10);
  dead.summary.incrementItems({ processed: 100, successful: 100 });
  const text = toPrometheus([
    rowOf(live.summary, 'alive'),
    rowOf(dead.summary, 'dead', 'pid 1 on h is gone'),
  ]);
  const lines = series(text);
  assert.ok(lines.some((l) => l.startsWith('pipeline_items_per_second{run="live"')));
  assert.ok(lines.some((l) => l.startsWith('pipeline_eta_seconds{run="live"')));
  assert.not.ok(lines.some((l) => l.startsWith('pipeline_items_per_second{run="dead"')));
  assert.not.ok(lines.some((l) => l.startsWith('pipeline_eta_seconds{run="dead"')));
  assert.ok(lines.includes('pipeline_status{run="dead",process="collect",state="crashed"} 1'));
});

test('label values are escaped; no series appears twice even when names escape alike', async () => {
  const a = started({ processName: 'x' });
  a.summary.addError('a\u001bb', 'm');
  a.summary.addError('a\\x1bb', 'm');
  a.summary.addError('say "hi"\n', 'm');
  const b = started({ processName: 'x' });
  const text = toPrometheus([rowOf(a.summary), rowOf(b.summary)]);
  const lines = series(text);
  assert.is(new Set(lines.map((l) => l.slice(0, l.lastIndexOf(' ')))).size, lines.length);
  assert.ok(
    lines.some((l) => l.includes('type="say \\"hi\\"\\\\n"')),
    text,
  );
  assert.not.match(text, '\u001b');
  // The two error types that escape alike are counted together, not dropped.
  assert.ok(
    lines.includes(
      'pipeline_errors_by_type_total{run="harvard_2024",process="x",type="a\\\\x1bb"} 2',
    ),
    text,
  );
  // The duplicate summary's gauges appear once.
  assert.is(lines.filter((l) => l.startsWith('pipeline_status{') && l.endsWith(' 1')).length, 1);
});

test('a summary given twice is exported once, its counters not doubled', async () => {
  const { summary } = started();
  summary.incrementItems({ processed: 5, successful: 5 });
  const row = rowOf(summary);
  const lines = series(toPrometheus([row, row]));
  assert.equal(
    lines.filter((l) => l.startsWith('pipeline_items_processed_total')),
    ['pipeline_items_processed_total{run="harvard_2024",process="collect"} 5'],
  );
});

test('workers are exported one series each with a worker label, never also merged', async () => {
  const rows = [];
  for (const worker of ['w1', 'w2']) {
    const { summary } = started({ worker });
    summary.incrementItems({ processed: 2, successful: 2 });
    rows.push(rowOf(summary, 'alive'));
  }
  const lines = series(toPrometheus(groupWorkers(rows))).filter((l) =>
    l.startsWith('pipeline_items_processed_total'),
  );
  assert.equal(lines, [
    'pipeline_items_processed_total{run="harvard_2024",process="collect",worker="w1"} 2',
    'pipeline_items_processed_total{run="harvard_2024",process="collect",worker="w2"} 2',
  ]);
});

test('each family has one HELP and one TYPE line before its samples', async () => {
  const { summary } = started();
  const text = toPrometheus([rowOf(summary, 'alive')]);
  const help = text.split('\n').filter((l) => l.startsWith('# HELP'));
  assert.is(new Set(help).size, help.length);
  assert.ok(text.endsWith('\n'));
  assert.is(toPrometheus([]), '');
});

test('a seed-format file exports no timestamps from its perf_counter times', () => {
  const read = readOf(seedFixture('collect'));
  const row = summaryRow(read, judgeStatus(read, null, { now: T0 }));
  const text = toPrometheus([row]);
  assert.not.match(text, 'pipeline_start_time_seconds');
  assert.not.match(text, 'pipeline_end_time_seconds');
  assert.match(text, 'pipeline_last_update_time_seconds');
});

test.run();
