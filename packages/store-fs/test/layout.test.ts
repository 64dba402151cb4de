/**
 * The on-disk layout: every name the store writes parses back to the ref it belongs to, and
 * what is not the store's parses to nothing.
 */
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  archivePathFor,
  epochPathFor,
  parseEntryName,
  quarantinePathFor,
  quarantineStamp,
  stalePathFor,
  summaryPathsFor,
  summaryTempFileOwner,
  takeoverPathFor,
  tempPathFor,
} from '../src/layout.js';

const test = suite('layout');
const base = (path: string) => path.slice(path.lastIndexOf('/') + 1);

test('summary files: process, and process@worker for a worker', () => {
  const plain = summaryPathsFor('/data/runs', { runName: 'r', processName: 'collect' });
  assert.is(plain.summary, '/data/runs/r/process_summary_collect.json');
  assert.is(plain.backup, '/data/runs/r/process_summary_collect.json.bak');
  assert.is(plain.journal, '/data/runs/r/process_summary_collect.events.jsonl');
  assert.is(plain.owner, '/data/runs/r/process_summary_collect.owner');
  assert.equal(plain.ref, { runName: 'r', processName: 'collect', worker: null });
  const worker = summaryPathsFor('runs', { runName: 'r', processName: 'collect', worker: 'w1' });
  assert.is(worker.summary, 'runs/r/process_summary_collect@w1.json');
  assert.is(worker.journal, 'runs/r/process_summary_collect@w1.events.jsonl');
});

test('every name of a summary parses back to its ref and kind', () => {
  for (const worker of [null, 'w1', 'shard.2']) {
    // Names that look like other files' suffixes or marks, the summary's own included.
    for (const processName of [
      'collect',
      'a.json',
      'x.events',
      'dots.json.e5',
      'owner.owner',
      'x.json.corrupt-2025-01-15T10-30-45.123Z',
      'y.json.archived-1',
    ]) {
      const paths = summaryPathsFor('/root', { runName: 'run@1', processName, worker });
      const stamp = quarantineStamp(new Date('2025-01-15T10:30:45.123Z'));
      const cases: [string, string, number | null][] = [
        [paths.summary, 'summary', null],
        [paths.backup, 'backup', null],
        [paths.journal, 'journal', null],
        [paths.owner, 'owner', null],
        [takeoverPathFor(paths), 'takeover', null],
        [epochPathFor(paths, 0), 'epoch', 0],
        [epochPathFor(paths, 12), 'epoch', 12],
        [quarantinePathFor(paths.summary, stamp), 'quarantined', null],
        [quarantinePathFor(paths.backup, stamp, 2), 'quarantined', null],
        [quarantinePathFor(epochPathFor(paths, 3), stamp), 'quarantined', null],
        [archivePathFor(paths.summary, stamp), 'archived', null],
        [archivePathFor(paths.journal, stamp), 'archived', null],
        [archivePathFor(quarantinePathFor(paths.summary, stamp), stamp), 'archived', null],
        [quarantinePathFor(archivePathFor(paths.summary, stamp), stamp), 'quarantined', null],
      ];
      for (const [path, kind, epoch] of cases) {
        assert.equal(
          parseEntryName(base(path)),
          { kind, processName, worker, epoch },
          `${base(path)} (process ${processName}, worker ${worker})`,
        );
      }
    }
  }
});

test('names the store does not own parse to nothing', () => {
  const paths = summaryPathsFor('/root', { runName: 'r', processName: 'collect' });
  for (const name of [
    'notes.json',
    'process_summary_.json',
    'process_summary_x.txt',
    'process_summary_a@.json',
    'process_summary_a@b@c.json',
    'process_summary_a.json.e',
    'process_summary_a.json.e01',
    'process_summary_a.json.e-1',
    base(tempPathFor(paths.summary, { pid: 42, hostTag: '0123abcd' }, 'ff')),
    base(stalePathFor(paths.owner, 'abc')),
    base(stalePathFor(takeoverPathFor(paths), 'abc')),
    '.process_summary_collect.json.123.abc.tmp',
  ]) {
    assert.is(parseEntryName(name), null, name);
  }
});

test('temp files carry their writer, and only summary temp files are judged', () => {
  const paths = summaryPathsFor('/root', { runName: 'r', processName: 'collect', worker: 'w' });
  const owner = { pid: 4242, hostTag: '0123abcd' };
  const temp = tempPathFor(paths.summary, owner, 'beef1');
  assert.is(dirname(temp), '/root/r');
  assert.ok(base(temp).startsWith('.'), 'hidden');
  assert.equal(summaryTempFileOwner(base(temp)), owner);
  assert.equal(summaryTempFileOwner(base(tempPathFor(paths.summary, owner, 'a', 'backup'))), owner);
  assert.is(summaryTempFileOwner('.notes.txt.4242.0123abcd.a.tmp'), undefined);
});

test('names are validated before a path is built', () => {
  for (const ref of [
    { runName: '..', processName: 'p' },
    { runName: 'r', processName: 'a/b' },
    { runName: 'r', processName: 'a@b' },
    { runName: 'r', processName: 'p', worker: '' },
    { runName: 'r', processName: 'p', worker: 'w@1' },
  ]) {
    assert.throws(
      () => summaryPathsFor('/root', ref),
      (e: Error & { code?: string }) => e.code === 'E_INVALID_NAME',
    );
  }
  assert.throws(() => epochPathFor(summaryPathsFor('/r', { runName: 'r', processName: 'p' }), -1));
});

test('no other source file of the repository spells a layout name', async () => {
  // The suffixes and patterns of layout.ts, as they would appear in code that builds a path.
  const spelled = [
    /process_summary_\$\{/,
    /['"`]\.json\.bak['"`]/,
    /['"`]\.events\.jsonl['"`]/,
    /['"`]\.owner['"`]/,
    /\.corrupt-\$\{/,
    /\.archived-\$\{/,
    /\.takeover['"`]/,
  ];
  const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
  const offenders: string[] = [];
  for (const pkg of await readdir(join(repo, 'packages'))) {
    const src = join(repo, 'packages', pkg, 'src');
    let files: string[];
    try {
      files = (await readdir(src, { recursive: true })).filter((f) => f.endsWith('.ts'));
    } catch {
      continue;
    }
    for (const file of files) {
      const path = join(src, file);
      if (path.endsWith(join('store-fs', 'src', 'layout.ts'))) continue;
      const text = await readFile(path, 'utf8');
      for (const pattern of spelled) {
        if (pattern.test(text)) offenders.push(`${pkg}/src/${file}: ${pattern}`);
      }
    }
  }
  // The CLI's scan, targets and repair build paths until they go through the store (on the
  // inspect branch); no other file may, and these may not once they have switched.
  const legacy = ['cli/src/scan.ts', 'cli/src/targets.ts', 'cli/src/commands/repair.ts'];
  assert.equal(
    offenders.filter((o) => !legacy.some((file) => o.startsWith(`${file}:`))),
    [],
  );
});

test.run();
