import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  formatRatio,
  formatRow,
  type Row,
  rowFromRuns,
  statsFromRuns,
  writeReport,
} from '../src/index.js';

const test = suite('report');
const script = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  '..',
  'scripts',
  'bench-report.mjs',
);

const README = [
  '# Project',
  '',
  '## Benchmarks',
  '',
  'Words before.',
  '',
  '<!-- bench:start -->',
  '| old | table |',
  '<!-- bench:end -->',
  '',
  'Words after.',
  '',
].join('\n');
const DOCS = '# Benchmarks\n\nold numbers\n';

/** Five runs: 1.0, 1.1, 1.05, 1.3, 1.02; target 1.2, so missed in one run of five. */
function comparison(): Row {
  return rowFromRuns(
    'save',
    'bare protocol',
    [1.0, 1.1, 1.05, 1.3, 1.02].map((r) => ({ candidate: [r * 1000], baseline: [1000] })),
    { maxRatio: 1.2 },
  );
}

const COUNT: Row = {
  name: 'system calls per summary file',
  candidate: { medianNs: 0, p99Ns: 0, samples: 0 },
  note: 'statx 2.0, openat 1.0',
};

function tempRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'bench-kit-report-'));
  mkdirSync(join(root, 'docs'));
  writeFileSync(join(root, 'docs', 'benchmarks.md'), DOCS);
  writeFileSync(join(root, 'README.md'), README);
  return root;
}

function withRoot<T>(root: string, body: () => T): T {
  const saved = process.env.BENCH_ROOT;
  process.env.BENCH_ROOT = root;
  try {
    return body();
  } finally {
    if (saved === undefined) delete process.env.BENCH_ROOT;
    else process.env.BENCH_ROOT = saved;
  }
}

/** writeReport's JSON in `root`, with what it printed. */
function report(root: string, rows: Row[]): string[] {
  const printed: string[] = [];
  const log = console.log;
  console.log = (line: string) => printed.push(line);
  try {
    withRoot(root, () => writeReport({ topic: 'save', package: '@ps/store', rows }));
  } finally {
    console.log = log;
  }
  return printed;
}

function runScript(root: string, ...args: string[]) {
  return spawnSync(process.execPath, [script, ...args], {
    env: { ...process.env, BENCH_ROOT: root },
    encoding: 'utf8',
  });
}

test('writeReport writes under BENCH_ROOT and prints no time for a row without samples', () => {
  const root = tempRoot();
  try {
    const alone: Row = { name: 'alone', candidate: statsFromRuns([[2000], [2100], [1900]]) };
    const printed = report(root, [comparison(), COUNT, alone]);
    const saved = JSON.parse(
      readFileSync(join(root, 'bench-results', '_ps_store-save.json'), 'utf8'),
    ) as { rows: Row[] };
    assert.is(saved.rows.length, 3);
    assert.equal(printed, [
      'save | save: median 1.05 µs, bare protocol 1.00 µs, ratio 1.05x (5 runs 1.00–1.30x) (target <= 1.2x: MISSED, met in 4/5 runs)',
      'save | system calls per summary file: statx 2.0, openat 1.0',
      'save | alone: median 2.00 µs (3 runs 1.90 µs–2.10 µs)',
    ]);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('formatRow says "met" with the runs it held in', () => {
  const row = rowFromRuns(
    'x',
    'y',
    [
      { candidate: [1], baseline: [1] },
      { candidate: [1], baseline: [1] },
    ],
    {
      maxRatio: 1,
    },
  );
  assert.match(formatRow('t', row), /\(target <= 1x: met in 2\/2 runs\)$/);
});

test('bench-report without --write prints and leaves docs and README byte-identical', () => {
  const root = tempRoot();
  try {
    report(root, [comparison(), COUNT]);
    const result = runScript(root);
    assert.is(result.status, 0, result.stderr);
    assert.is(readFileSync(join(root, 'docs', 'benchmarks.md'), 'utf8'), DOCS);
    assert.is(readFileSync(join(root, 'README.md'), 'utf8'), README);
    assert.match(result.stdout, '| save | bare protocol | 1.05× | 1.00–1.30× over 5 runs |');
    assert.match(result.stdout, '1 target(s) missed');
    assert.match(result.stdout, 'Nothing written');

    const printed = runScript(root, '--print');
    assert.is(printed.status, 0, printed.stderr);
    assert.match(printed.stdout, '# Benchmarks');
    assert.is(readFileSync(join(root, 'docs', 'benchmarks.md'), 'utf8'), DOCS);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('bench-report --write updates docs/benchmarks.md and only the README between markers', () => {
  const root = tempRoot();
  try {
    report(root, [comparison(), COUNT]);
    const result = runScript(root, '--write');
    assert.is(result.status, 0, result.stderr);
    const docs = readFileSync(join(root, 'docs', 'benchmarks.md'), 'utf8');
    assert.match(docs, 'A target is met (✅) only if it was met in every run.');
    assert.match(docs, 'spread over 5 runs (min–max)');
    assert.match(
      docs,
      '| save | 1.05 µs | 1.30 µs | bare protocol | 1.00 µs | 1.05× | 1.00–1.30× | <= 1.2x ❌ (met in 4/5 runs) |',
    );
    // A count shows its note, no time.
    assert.match(
      docs,
      '| system calls per summary file (statx 2.0, openat 1.0) |  |  |  |  |  |  |  |',
    );
    assert.not.match(docs, '0.0 ns');

    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const [before, rest] = README.split('<!-- bench:start -->') as [string, string];
    const after = rest.slice(rest.indexOf('<!-- bench:end -->'));
    assert.ok(readme.startsWith(`${before}<!-- bench:start -->\n`));
    assert.ok(readme.endsWith(after));
    assert.match(readme, '| case | against | ratio (median) | spread (min–max) | target |');
    assert.match(
      readme,
      '| save | bare protocol | 1.05× | 1.00–1.30× over 5 runs | <= 1.2x ❌ (met in 4/5 runs) |',
    );
    assert.not.match(readme, '| old | table |');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('bench-report refuses an argument it does not know, writing nothing', () => {
  const root = tempRoot();
  try {
    report(root, [comparison()]);
    const result = runScript(root, 'model');
    assert.is(result.status, 2);
    assert.match(result.stderr, 'unknown argument');
    assert.is(readFileSync(join(root, 'docs', 'benchmarks.md'), 'utf8'), DOCS);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a ratio far below 1 keeps two significant digits instead of printing 0.00', () => {
  assert.is(formatRatio(0.0022), '0.0022');
  assert.is(formatRatio(0.052), '0.052');
  assert.is(formatRatio(0.1), '0.10');
  assert.is(formatRatio(1.234), '1.23');
  assert.is(formatRatio(0), '0.00');
});

test('bench-report prints a tiny ratio and its spread with two significant digits', () => {
  const root = mkdtempSync(join(tmpdir(), 'ps-bench-report-tiny-'));
  try {
    mkdirSync(join(root, 'bench-results'));
    mkdirSync(join(root, 'docs'));
    writeFileSync(join(root, 'README.md'), README);
    writeFileSync(join(root, 'docs', 'benchmarks.md'), DOCS);
    const row = rowFromRuns(
      '1,000 concurrent saves',
      'write-file-atomic',
      [
        { candidate: [2e6], baseline: [9e8] },
        { candidate: [2e6], baseline: [8e8] },
      ],
      { maxRatio: 1 },
    );
    writeFileSync(
      join(root, 'bench-results', 'x.json'),
      JSON.stringify({
        topic: 'concurrent',
        package: 'p',
        rows: [row],
        meta: { node: 'v20', cpus: 2, cpuModel: 'cpu', date: '2026-11-30T00:00:00.000Z' },
      }),
    );
    const run = spawnSync(process.execPath, [script, '--write'], {
      env: { ...process.env, BENCH_ROOT: root },
      encoding: 'utf8',
    });
    assert.is(run.status, 0, run.stderr);
    const docs = readFileSync(join(root, 'docs', 'benchmarks.md'), 'utf8');
    assert.match(docs, '| 0.0024× | 0.0022–0.0025× |');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test.run();
