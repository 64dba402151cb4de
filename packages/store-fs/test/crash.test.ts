import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkSummaryDict } from '@process-summary/core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { FileSummaryStore } from '../src/index.js';
import { listDir, recordingLogger, removeDir, tempDir } from './_helpers.js';
import { killMomentOf, runAndKill } from './_kill-loop.js';

const fixture = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'save-loop.mjs');
const KILLS = 200;
const WORKERS = 2;

const test = suite('crash safety');

test('a save loop SIGKILLed at random moments always leaves a valid file, never older than the last resolved save', async () => {
  const started = Date.now();
  let kills = 0;
  let savesObserved = 0;
  const worker = async (id: number) => {
    const dir = await tempDir(`store-fs-crash-${id}-`);
    const root = join(dir, 'runs');
    const store = new FileSummaryStore({ root, logger: recordingLogger() });
    const path = store.pathFor('crash', 'loop');
    let floor = 0;
    try {
      while (kills < KILLS) {
        const moment = killMomentOf(kills);
        kills += 1;
        const { lastReported } = await runAndKill(fixture, root, 'saved', moment);
        if (moment === 'after-first-resolved') assert.ok(lastReported >= 0, 'a save resolved');
        floor = Math.max(floor, lastReported);
        const loaded = await store.load('crash', 'loop');
        // Killed before any save resolved: there may be no file, or (killed between the first
        // journal append and its rename, the journal being made durable first) a journal the
        // load rebuilds from, saying so.
        if (
          lastReported < 0 &&
          (loaded === null || loaded.warnings.every((w) => w.code === 'W_REBUILT_FROM_JOURNAL'))
        )
          continue;
        assert.ok(loaded, 'the file exists once a save resolved');
        assert.equal(loaded.warnings, [], 'nothing was corrupt');
        const dict = JSON.parse(await readFile(path, 'utf8'));
        assert.ok(checkSummaryDict(dict).valid, 'the file validates');
        assert.ok(
          loaded.summary.itemsProcessed >= floor,
          `file holds ${loaded.summary.itemsProcessed}, a save of ${floor} had resolved`,
        );
        savesObserved = Math.max(savesObserved, loaded.summary.itemsProcessed);
        for await (const entry of store.readJournal({ runName: 'crash', processName: 'loop' })) {
          assert.is.not(entry.kind, 'corrupt', 'no corrupt journal line');
        }
        const temps = (await listDir(dirname(path))).filter((n) => n.endsWith('.tmp'));
        assert.ok(temps.length <= 2, `only the killed writer's temp files remain: ${temps}`);
      }
    } finally {
      await removeDir(dir);
    }
  };
  await Promise.all(Array.from({ length: WORKERS }, (_, id) => worker(id)));
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  process.stdout.write(`\n  crash test: ${kills} SIGKILLs in ${seconds} s\n`);
  assert.ok(savesObserved > 0);
});

test.run();
