import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { assertValidName, isValidName, MAX_NAME_BYTES } from '../src/index.js';
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

test('two different names never map to the same file name', () => {
  // A lone surrogate encodes as U+FFFD: "a\uD800", "a\uDBFF" and "a\uFFFD" would be one file.
  for (const name of ['a\uD800', 'a\uDFFF', '\uDC00b', 'x\uDBFF\uDBFF', 'a\uDC00\uD800']) {
    throwsCode(() => assertValidName('run', name), 'E_INVALID_NAME', RangeError);
    throwsCode(() => assertValidName('process', name), 'E_INVALID_NAME', RangeError);
    throwsCode(() => assertValidName('worker', name), 'E_INVALID_NAME', RangeError);
  }
  // A decomposed name is the same file as its composed form where the file system normalizes.
  throwsCode(() => assertValidName('run', 'cafe\u0301'), 'E_INVALID_NAME', RangeError);
  assertValidName('run', 'caf\u00e9');
  assertValidName('run', 'emoji\u{1F600}');
  // Whatever else is accepted encodes to UTF-8 and back unchanged, so the mapping is one-to-one.
  const utf8 = new TextEncoder();
  const decoder = new TextDecoder();
  let seed = 7;
  const next = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed;
  };
  for (let i = 0; i < 5000; i++) {
    let name = '';
    for (let j = 1 + (next() % 8); j > 0; j--) {
      const pick = next() % 4;
      name += String.fromCharCode(
        pick === 0 ? 0xd800 + (next() % 0x800) : 0x20 + (next() % 0xffdf),
      );
    }
    let accepted = true;
    try {
      assertValidName('run', name);
    } catch {
      accepted = false;
    }
    if (accepted) assert.is(decoder.decode(utf8.encode(name)), name);
  }
});

test('the length limit counts UTF-8 bytes', () => {
  throwsCode(() => assertValidName('process', 'x'.repeat(MAX_NAME_BYTES + 1)), 'E_INVALID_NAME');
  throwsCode(
    () => assertValidName('process', 'é'.repeat(MAX_NAME_BYTES / 2 + 1)),
    'E_INVALID_NAME',
  );
  assertValidName('process', 'é'.repeat(MAX_NAME_BYTES / 2));
  // Three-byte characters on either side of the length past which the bytes are counted.
  assertValidName('process', '€'.repeat(42));
  assertValidName('process', `${'€'.repeat(42)}ab`);
  throwsCode(() => assertValidName('process', `${'€'.repeat(42)}abc`), 'E_INVALID_NAME');
  throwsCode(() => assertValidName('process', '€'.repeat(43)), 'E_INVALID_NAME');
  throwsCode(() => assertValidName('process', '😀'.repeat(33)), 'E_INVALID_NAME');
  assertValidName('process', '😀'.repeat(32));
});

test('isValidName gives the verdict of assertValidName, on the plain-ASCII fast path and off it', () => {
  const names = [
    'harvard_2024',
    'a.b-c',
    'x'.repeat(MAX_NAME_BYTES),
    'x'.repeat(MAX_NAME_BYTES + 1),
    '.',
    '..',
    '...',
    '.hidden',
    '',
    'a@b',
    'a b',
    'Ünïcödé',
    'e\u0301',
    'a/b',
    'del\u007f',
    '\u202eevil',
    'é'.repeat(64),
    'é'.repeat(65),
    42,
    null,
  ];
  for (const kind of ['run', 'process', 'worker'] as const) {
    for (const name of names) {
      let expected = true;
      try {
        assertValidName(kind, name);
      } catch {
        expected = false;
      }
      // Twice: the second answer may come from the remembered verdict.
      assert.is(isValidName(kind, name), expected, `${kind} ${JSON.stringify(name)}`);
      assert.is(isValidName(kind, name), expected, `${kind} ${JSON.stringify(name)}, again`);
    }
  }
  assert.is(isValidName('run', 'a@b'), true, "'@' only separates process and worker");
  assert.is(isValidName('process', 'a@b'), false);
  assert.is(isValidName('run', 'x'.repeat(MAX_NAME_BYTES + 1)), false);
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
