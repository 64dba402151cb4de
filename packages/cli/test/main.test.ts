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
    'serve',
    'alert',
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
    'summary-inspect: unknown command "frobnicate" (commands: list, show, watch, validate, check, aggregate, export, events, repair, copy, serve, alert)\n',
  );
  const option = cli(['list', '--bogus']);
  assert.is(option.code, 2);
  assert.is(option.stderr.trim().split('\n').length, 1);
  const debug = cli(['list', '--bogus', '--debug']);
  assert.match(debug.stderr, /\n\s+at /);
});

const COMMANDS = [
  'list',
  'show',
  'watch',
  'validate',
  'check',
  'aggregate',
  'export',
  'events',
  'repair',
  'copy',
  'serve',
  'alert',
];

test('every option a command help lists is accepted by its parser, and only those', () => {
  for (const command of COMMANDS) {
    const help = cli([command, '--help']);
    assert.is(help.code, 0, command);
    // Option lines: "  --name VALUE   description" or "  -x, --name   description".
    const options = [...help.stdout.matchAll(/^ {2}(?:-\w, )?--([a-z-]+)( [A-Z]+)?/gm)].map(
      (m) => ({ name: m[1] as string, takesValue: m[2] !== undefined }),
    );
    assert.ok(options.length >= 8, `${command}: global options listed`);
    for (const option of options) {
      const args = [command, `--${option.name}`];
      if (option.takesValue) args.push('1');
      // With --help the command does not run: only the parser judges the option.
      const parsed = cli([...args, '--help']);
      assert.is(parsed.code, 0, `${command} --${option.name}: ${parsed.stderr}`);
    }
    const names = options.map((o) => o.name);
    for (const other of ['interval', 'follow', 'format', 'max-failed', 'since']) {
      if (names.includes(other)) continue;
      const refused = cli([command, `--${other}`, '1', '--help']);
      // check reports every failure to check as UNKNOWN (3), the Nagios convention.
      assert.is(
        refused.code,
        command === 'check' ? 3 : 2,
        `${command} refuses --${other} that its help does not list`,
      );
      assert.match(refused.stderr, new RegExp(`--${other}`));
    }
  }
});

test('an unknown option is a usage error naming it, exit 2, one line', () => {
  const result = cli(['show', 'a', '--frobnicate']);
  assert.is(result.code, 2);
  assert.is(result.stderr.trim().split('\n').length, 1);
  assert.match(result.stderr, /^summary-inspect: .*'--frobnicate'.*\(see --help\)\n$/);
});

test('an invalid name is said once, not wrapped in itself', () => {
  const result = cli(['show', '..']);
  assert.is(result.code, 2);
  assert.is(result.stderr.match(/invalid run name/g)?.length, 1, result.stderr);
  assert.match(result.stderr, /would escape the root/);
});

test.run();
