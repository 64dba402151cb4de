import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createColors, visibleLength } from '../src/render/color.ts';
import { renderTable } from '../src/render/table.ts';

const COLUMNS = [
  { header: 'RUN' },
  { header: 'COUNT', align: 'right' },
  { header: 'NOTE' },
] as const;

test('columns as wide as their widest cell, two spaces apart, numbers right-aligned, no trailing spaces', () => {
  const text = renderTable(COLUMNS, [
    ['harvard_2024', '1,234', 'ok'],
    ['x', '5', ''],
  ]);
  assert.is(
    text,
    ['RUN           COUNT  NOTE', 'harvard_2024  1,234  ok', 'x                 5'].join('\n'),
  );
});

test('colour escapes take no width: a coloured cell lines up with plain ones', () => {
  const colors = createColors(true);
  const text = renderTable(COLUMNS, [
    [colors.red('crashed'), colors.red('12'), 'a'],
    ['completed', '3', 'b'],
  ]);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping the colour escapes
  const lines = text.split('\n').map((line) => line.replace(/\u001b\[\d+m/g, ''));
  assert.equal(lines, ['RUN        COUNT  NOTE', 'crashed       12  a', 'completed      3  b']);
  assert.is(visibleLength(colors.red('crashed')), 7);
  assert.is(visibleLength('plain'), 5);
});

test('a row with fewer cells than columns gets empty cells; no rows, the headers alone', () => {
  assert.is(renderTable(COLUMNS, [['only']]), 'RUN   COUNT  NOTE\nonly');
  assert.is(renderTable(COLUMNS, []), 'RUN  COUNT  NOTE');
});

test.run();
