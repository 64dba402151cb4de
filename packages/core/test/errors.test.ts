import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  codedRangeError,
  codedTypeError,
  ERROR_CODES,
  hasErrorCode,
  ProcessSummaryError,
} from '../src/index.js';

const test = suite('error codes');
const repo = join(dirname(fileURLToPath(import.meta.url)), '../../..');

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sources(path));
    else if (/\.(ts|js|mjs)$/.test(name)) out.push(path);
  }
  return out;
}

test('every code written in any package source is in ERROR_CODES', () => {
  const known = new Set<string>(ERROR_CODES);
  const unknown: string[] = [];
  const roots = ['packages', 'tools']
    .flatMap((top) => readdirSync(join(repo, top)).map((name) => join(repo, top, name, 'src')))
    .filter((dir) => statSync(dir, { throwIfNoEntry: false })?.isDirectory());
  let files = 0;
  for (const file of roots.flatMap(sources)) {
    files += 1;
    for (const [, code] of readFileSync(file, 'utf8').matchAll(/['"`](E_[A-Z][A-Z_]*)['"`]/g)) {
      if (!known.has(code as string)) unknown.push(`${code} in ${file.slice(repo.length + 1)}`);
    }
  }
  assert.ok(files > 20, `scanned only ${files} files`);
  assert.equal(unknown, [], 'add the code to ERROR_CODES in packages/core/src/errors.ts');
});

test('ERROR_CODES lists each code once', () => {
  assert.is(new Set(ERROR_CODES).size, ERROR_CODES.length);
});

test('hasErrorCode tells an error by its code, across error classes', () => {
  const lost = new ProcessSummaryError('E_LEASE_LOST', 'lost');
  assert.ok(hasErrorCode(lost, 'E_LEASE_LOST'));
  assert.not.ok(hasErrorCode(lost, 'E_CONCURRENT_RUN'));
  assert.ok(hasErrorCode(codedTypeError('E_INVALID_NAME', 'bad'), 'E_INVALID_NAME'));
  assert.ok(hasErrorCode(codedRangeError('E_INVALID_LIMITS', 'bad'), 'E_INVALID_LIMITS'));
  // An error made by another copy of the package: a plain Error with the same code.
  assert.ok(hasErrorCode(Object.assign(new Error('x'), { code: 'E_IO' }), 'E_IO'));
  for (const other of [null, undefined, 'E_IO', { code: 'E_IO' }, new Error('no code')]) {
    assert.not.ok(hasErrorCode(other, 'E_IO'), String(other));
  }
});

test.run();
