import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { sseFrame, sseJson } from '../src/live/sse-client.js';

const hostile = {
  run_name: '</script><script>alert(1)</script>',
  process_name: '<img src=x onerror=alert(1)>&amp;',
  message: 'line one\nline two\r\n\u2028\u2029\u0000\u001b[31m',
};

test('event data escapes <, >, & and U+2028/2029 and parses back to the same value', () => {
  const json = sseJson(hostile);
  assert.not.match(json, /[<>&\u2028\u2029]/);
  assert.equal(JSON.parse(json), hostile);
});

test('a frame is one event line and one data line, whatever line breaks the strings hold', () => {
  const frame = sseFrame('row', { type: 'row', row: hostile });
  assert.ok(frame.endsWith('\n\n'));
  const lines = frame.slice(0, -2).split(/\r\n|\r|\n/);
  assert.is(lines.length, 2);
  assert.is(lines[0], 'event: row');
  assert.ok(lines[1]?.startsWith('data: '));
  assert.equal(JSON.parse((lines[1] as string).slice(6)), { type: 'row', row: hostile });
});

test.run();
