import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { assertValidName, MAX_NAME_BYTES } from '../src/index.js';
import { throwsCode } from './_helpers.js';

const test = suite('run and process names');

test('ordinary names pass', () => {
  for (const name of [
    'harvard_2024',
    'collect',
    'a.b-c',
    'Ünïcödé',
    '.hidden',
    'x'.repeat(MAX_NAME_BYTES),
  ]) {
    assertValidName('run', name);
  }
});

test('names that could escape the root or break a file name are refused', () => {
  const bad = [
    '',
    '.',
    '..',
    '../up',
    'a/b',
    '/abs',
    'a\\b',
    'nul\u0000',
    'tab\t',
    'esc\u001b[31m',
    'del\u007f',
  ];
  for (const name of bad)
    throwsCode(() => assertValidName('run', name), 'E_INVALID_NAME', RangeError);
});

test('the length limit counts UTF-8 bytes', () => {
  throwsCode(() => assertValidName('process', 'x'.repeat(MAX_NAME_BYTES + 1)), 'E_INVALID_NAME');
  throwsCode(
    () => assertValidName('process', 'é'.repeat(MAX_NAME_BYTES / 2 + 1)),
    'E_INVALID_NAME',
  );
  assertValidName('process', 'é'.repeat(MAX_NAME_BYTES / 2));
});

test('a non-string is a TypeError with the same code', () => {
  throwsCode(() => assertValidName('run', 42), 'E_INVALID_NAME', TypeError);
  throwsCode(() => assertValidName('run', undefined), 'E_INVALID_NAME', TypeError);
});

test('the message names the kind and the reason', () => {
  try {
    assertValidName('process', '../x');
    assert.unreachable();
  } catch (err) {
    assert.match(
      (err as Error).message,
      /invalid process name "\.\.\/x": it contains a path separator/,
    );
  }
});

test.run();
