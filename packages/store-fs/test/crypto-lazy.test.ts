import { spawnSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { FileSummaryStore } from '../src/index.js';
import { makeSummary, removeDir, tempDir } from './_helpers.js';

// node:crypto costs every process ~3 ms to import: a process that only reads summaries never
// loads it; the first write does. Checked in a plain child process running the build (tsx,
// which runs these tests, loads node:crypto itself).
const lazy = suite('node:crypto is loaded by the first write, not by reads');

const entry = pathToFileURL(new URL('../dist/index.js', import.meta.url).pathname).href;

function run(root: string, script: string): { before: boolean; after: boolean } {
  const source = `
    import { FileSummaryStore, silentLogger } from ${JSON.stringify(entry)};
    import { ProcessSummary } from '@process-summary/core';
    const loaded = () => process.moduleLoadList.includes('NativeModule crypto');
    const store = new FileSummaryStore({ root: ${JSON.stringify(root)}, logger: silentLogger });
    const before = loaded();
    ${script}
    console.log(JSON.stringify({ before, after: loaded() }));
  `;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', source], {
    encoding: 'utf8',
    cwd: new URL('..', import.meta.url).pathname,
  });
  assert.is(child.status, 0, child.stderr);
  return JSON.parse(child.stdout.trim().split('\n').pop() as string);
}

lazy('importing the store, listing, reading and loading leave node:crypto unloaded', async () => {
  const dir = await tempDir();
  try {
    const store = new FileSummaryStore({ root: dir });
    const { summary } = makeSummary('run', 'collect');
    const path = store.pathFor('run', 'collect');
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, `${JSON.stringify(summary.getSummaryDict(), null, 2)}\n`);
    const seen = run(
      dir,
      `const { summaries } = await store.list();
       if (summaries.length !== 1) throw new Error('listed ' + summaries.length);
       const read = await store.read({ runName: 'run', processName: 'collect' }, { full: false });
       if (read?.dict?.items_processed === undefined) throw new Error('no read');
       await store.load('run', 'collect');`,
    );
    assert.equal(seen, { before: false, after: false });
  } finally {
    await removeDir(dir);
  }
});

lazy('a save loads it (temp file names, owner tokens)', async () => {
  const dir = await tempDir();
  try {
    const seen = run(
      dir,
      `const summary = new ProcessSummary({ runName: 'run', processName: 'collect' });
       summary.startProcess();
       await store.save(summary);`,
    );
    assert.equal(seen, { before: false, after: true });
  } finally {
    await removeDir(dir);
  }
});

lazy.run();
