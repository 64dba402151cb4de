import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CSV_COLUMNS, toCsv } from '../src/export/csv.js';
import { groupWorkers } from '../src/workers.js';
import { rowOf, started } from './_helpers.js';

function parseLine(line: string): string[] {
  const cells: string[] = [];
  const re = /("((?:[^"]|"")*)"|[^,]*)(,|$)/g;
  for (const m of line.matchAll(re)) {
    cells.push(m[2] === undefined ? (m[1] ?? '') : m[2].replaceAll('""', '"'));
    if (m[3] === '') break;
  }
  return cells;
}

test('a header and one CRLF-terminated line per summary, columns in order', async () => {
  const { summary } = started();
  summary.incrementItems({ processed: 3, successful: 2, failed: 1 });
  summary.endProcess();
  const text = toCsv([rowOf(summary)]);
  const lines = text.split('\r\n');
  assert.is(lines.length, 3);
  assert.is(lines[2], '');
  assert.equal(parseLine(lines[0] ?? ''), ['row', ...CSV_COLUMNS]);
  const cells = parseLine(lines[1] ?? '');
  assert.is(cells[0], 'summary');
  assert.is(cells[1 + CSV_COLUMNS.indexOf('status')], 'completed_with_failures');
  assert.is(cells[1 + CSV_COLUMNS.indexOf('items_failed')], '1');
});

test('a stored name that a spreadsheet would run as a formula is defused', async () => {
  const { summary } = started({ runName: 'r1', processName: '=cmd' });
  const line = toCsv([rowOf(summary)]).split('\r\n')[1] ?? '';
  assert.is(parseLine(line)[2], "'=cmd");
});

test('a merged process is a merged line followed by its worker lines', async () => {
  const rows = [];
  for (const worker of ['w1', 'w2']) {
    const { summary } = started({ worker });
    summary.incrementItems({ processed: 2, successful: 2 });
    summary.endProcess();
    rows.push(rowOf(summary));
  }
  const lines = toCsv(groupWorkers(rows)).split('\r\n').slice(1, -1).map(parseLine);
  assert.equal(
    lines.map((cells) => [
      cells[0],
      cells[1 + CSV_COLUMNS.indexOf('worker')],
      cells[1 + CSV_COLUMNS.indexOf('items_processed')],
    ]),
    [
      ['merged', '', '4'],
      ['worker', 'w1', '2'],
      ['worker', 'w2', '2'],
    ],
  );
});

test.run();
