// Checks on the workspace as a whole that keep every package's tests honest. They live here
// because core is the one package every other depends on: its tests run first.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

const repo = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const CONDITION = '@process-summary/source';

interface Manifest {
  name: string;
  exports?: Record<string, unknown>;
  scripts?: Record<string, string>;
}

function manifests(): { dir: string; manifest: Manifest }[] {
  const dirs = ['packages', 'tools']
    .flatMap((top) => readdirSync(join(repo, top)).map((name) => join(repo, top, name)))
    .concat(join(repo, 'examples'));
  return dirs
    .filter((dir) => existsSync(join(dir, 'package.json')))
    .map((dir) => ({
      dir,
      manifest: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest,
    }));
}

const test = suite('workspace: tests never run stale code');

test('every built package exports its sources under the source condition', () => {
  let checked = 0;
  for (const { dir, manifest } of manifests()) {
    const entry = manifest.exports?.['.'];
    if (typeof entry !== 'object' || entry === null) continue; // source-only or no entry
    checked += 1;
    const conditions = entry as Record<string, string>;
    const source = conditions[CONDITION];
    assert.type(source, 'string', `${manifest.name}: exports["."]["${CONDITION}"] is missing`);
    assert.ok(
      existsSync(join(dir, source as string)),
      `${manifest.name}: ${source} does not exist`,
    );
    assert.equal(
      Object.keys(conditions),
      ['types', CONDITION, 'default'],
      `${manifest.name}: exports["."] is types, ${CONDITION}, default, in that order`,
    );
  }
  assert.ok(checked >= 3, `only ${checked} packages checked`);
});

test('every test script resolves workspace packages to their sources', () => {
  for (const { manifest } of manifests()) {
    const script = manifest.scripts?.test;
    if (script === undefined) continue;
    assert.match(
      script,
      `--conditions=${CONDITION} --import tsx`,
      `${manifest.name}: the test script must run node --conditions=${CONDITION} --import tsx`,
    );
  }
});

test('a suite whose before hook throws fails the run (uvu is patched: it passed such a suite)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ps-uvu-before-'));
  try {
    const uvu = JSON.stringify(import.meta.resolve('uvu'));
    writeFileSync(
      join(dir, 'broken.test.mjs'),
      [
        `import { test } from ${uvu};`,
        "test.before(() => { throw new Error('setup failed'); });",
        "test('never runs', () => {});",
        'test.run();',
        '',
      ].join('\n'),
    );
    const bin = join(repo, 'packages/core/node_modules/uvu/bin.js');
    const run = spawnSync(process.execPath, [bin, dir, 'broken'], {
      cwd: join(repo, 'packages/core'),
      encoding: 'utf8',
      env: { ...process.env, FORCE_COLOR: '0' },
    });
    assert.is(run.status, 1, `uvu exited ${run.status}: ${run.stdout}${run.stderr}`);
    assert.match(run.stdout, 'setup failed');
    assert.match(run.stdout, /Passed:\s+0/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
