import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { cli, packageDir } from './_helpers.ts';

const test = suite('main');

test('--version prints the package version', () => {
  const { version } = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as {
    version: string;
  };
  const result = cli(['--version']);
  assert.is(result.code, 0);
  assert.is(result.stdout, `${version}\n`);
});

test('--help lists every command with examples; <command> --help its own', () => {
  const help = cli(['--help']);
  assert.is(help.code, 0);
  for (const command of [
    'list',
    'show',
    'watch',
    'validate',
    'check',
    'aggregate',
    'export',
    'events',
    'repair',
  ]) {
    assert.match(help.stdout, new RegExp(`^  ${command}`, 'm'));
  }
  assert.match(help.stdout, /Examples:/);
  const check = cli(['check', '--help']);
  assert.is(check.code, 0);
  assert.match(check.stdout, /--max-error-rate/);
  assert.match(check.stdout, /summary-inspect check harvard_2024 collect/);
});

test('usage errors: one line on stderr, exit 2, no stack unless --debug', () => {
  const unknown = cli(['frobnicate']);
  assert.is(unknown.code, 2);
  assert.is(
    unknown.stderr,
    'summary-inspect: unknown command "frobnicate" (commands: list, show, watch, validate, check, aggregate, export, events, repair)\n',
  );
  const option = cli(['list', '--bogus']);
  assert.is(option.code, 2);
  assert.is(option.stderr.trim().split('\n').length, 1);
  const debug = cli(['list', '--bogus', '--debug']);
  assert.match(debug.stderr, /\n\s+at /);
});

test.run();
