import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FORMATTERS, formatterFor } from '../src/export/formatter.js';
import { jsonFormatter } from '../src/export/json.js';
import { rowOf, started, throwsCode } from './_helpers.js';

test('every format is found by its name; an unknown one is a coded error naming them', () => {
  assert.equal(
    FORMATTERS.map((f) => f.name),
    ['json', 'csv', 'prometheus'],
  );
  for (const f of FORMATTERS) assert.is(formatterFor(f.name), f);
  throwsCode(() => formatterFor('xml'), 'E_INVALID_ARGUMENT');
});

test('the JSON export parses back to the rows, with merged workers nested', async () => {
  const { summary } = started({ processName: 'a\u2028b' });
  summary.incrementItems({ processed: 1, successful: 1 });
  const row = rowOf(summary, 'alive');
  const text = jsonFormatter.format([row]);
  assert.not.match(text, '\u2028');
  assert.equal(JSON.parse(text), { summaries: [row] });
  assert.is(jsonFormatter.contentType, 'application/json; charset=utf-8');
});

test.run();
