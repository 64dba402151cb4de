import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  csvField,
  escapeControl,
  nagiosPerfLabel,
  nagiosText,
  prometheusLabelValue,
  safeJsonStringify,
} from '../src/escape.js';

test('terminal control characters are shown escaped, never raw', () => {
  assert.is(escapeControl('a\u001b[31mb\u0007\r\n\t'), 'a\\x1b[31mb\\x07\\r\\n\\t');
  assert.is(escapeControl('\u009b2J \u202eevil'), '\\x9b2J \\u202eevil');
  assert.is(escapeControl('plain text é'), 'plain text é');
});

test('safe JSON escapes what JSON.stringify leaves raw and parses back to the same value', () => {
  const value = { name: 'a\u2028b\u202e\u009bc' };
  const text = safeJsonStringify(value);
  assert.not.match(text, /[\u2028\u202e\u009b]/);
  assert.equal(JSON.parse(text), value);
});

test('safe JSON escapes each such character whatever else the text holds: DEL alone in ASCII, one beside plain non-ASCII', () => {
  // The ASCII fast path must still find a lone DEL; non-ASCII text that needs nothing passes
  // unchanged.
  for (const [name, escaped] of [
    ['ascii\u007f', 'ascii\\u007f'],
    ['é plain', 'é plain'],
    ['é\u0085', 'é\\u0085'],
    ['€\u2029', '€\\u2029'],
    ['\u2066x\u2069', '\\u2066x\\u2069'],
    ['plain ascii', 'plain ascii'],
  ] as const) {
    assert.is(safeJsonStringify({ name }), `{"name":"${escaped}"}`, JSON.stringify(name));
    assert.equal(JSON.parse(safeJsonStringify({ name })), { name });
  }
  assert.is(safeJsonStringify([1, 'a'], 2), '[\n  1,\n  "a"\n]');
});

test('a CSV field that a spreadsheet would run as a formula is defused; numbers are not', () => {
  assert.is(csvField('=HYPERLINK("x")'), '"\'=HYPERLINK(""x"")"');
  assert.is(csvField('@SUM(A1)'), "'@SUM(A1)");
  assert.is(csvField(-3), '-3');
  assert.is(csvField(null), '');
  assert.is(csvField('a,b'), '"a,b"');
  assert.is(csvField('line\nbreak'), 'line\\nbreak');
});

test('a Prometheus label value escapes backslash, quote and newline after control characters', () => {
  assert.is(prometheusLabelValue('a"b\\c\nd'), 'a\\"b\\\\c\\\\nd');
  assert.is(prometheusLabelValue('x\u001by'), 'x\\\\x1by');
});

test('Nagios text can carry neither a pipe nor a newline', () => {
  const text = nagiosText('run|x\nPIPELINE OK');
  assert.not.match(text, /[|\n]/);
  assert.is(text, 'run¦x\\nPIPELINE OK');
});

test('a Nagios perfdata label is quoted when needed, quotes doubled, no = or |', () => {
  assert.is(nagiosPerfLabel('collect_rate'), 'collect_rate');
  assert.is(nagiosPerfLabel("it's a=b|c"), "'it''s a_b¦c'");
});

test.run();
