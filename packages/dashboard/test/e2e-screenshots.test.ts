/**
 * The screenshots in the READMEs, taken by the test run from a realistic store: runs of every
 * status, a process sharded over three workers, a run with errors and an interruption (a
 * session SIGKILLed and resumed, through recovery in child processes), and a pipeline running
 * while the pictures are taken.
 *
 * The pictures are written to packages/dashboard/docs/ only with `UPDATE_SCREENSHOTS=1`
 * (`UPDATE_SCREENSHOTS=1 pnpm test` in this package); otherwise to a temporary directory, so
 * a plain `pnpm test` changes no tracked file but still takes them, and fails if it cannot.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  type Dashboard,
  fileBrowser,
  interruptedRun,
  once,
  type Pipeline,
  packageDir,
  pipelineItems,
  runPipeline,
  startDashboard,
  startPipeline,
  tempDir,
  watchedPage,
  writeRun,
} from './_browser.ts';

interface Setup {
  browser: Browser;
  dir: string;
  cleanup: () => void;
  dashboard: Dashboard;
  running: Pipeline[];
  out: string;
  outCleanup: () => void;
}

interface Ctx {
  setup: Setup;
}

const update = process.env.UPDATE_SCREENSHOTS === '1';
const VIEWPORT = { width: 1440, height: 760 };

const test = suite<Ctx>('e2e: screenshots');

const browser = fileBrowser();
const partial: Partial<Setup> = {};

/**
 * The store and the browser, made once by the first test (in before.each: uvu drops an error
 * thrown in `before` silently, and this must fail every test when it fails).
 */
const prepare = once(async (): Promise<Setup> => {
  const ctx = partial;
  // First: without a browser there is nothing to start pipelines for.
  ctx.browser = await browser.get();
  if (update) {
    ctx.out = join(packageDir, 'docs');
    mkdirSync(ctx.out, { recursive: true });
    ctx.outCleanup = () => {};
  } else {
    ctx.out = mkdtempSync(join(tmpdir(), 'ps-dash-shots-'));
    const out = ctx.out;
    ctx.outCleanup = () => rmSync(out, { recursive: true, force: true });
  }
  const { dir: root, cleanup } = tempDir();
  Object.assign(ctx, { dir: root, cleanup });
  ctx.running = [];
  const now = Date.now() / 1000;
  ctx.dashboard = await startDashboard(root, { storeLabel: '/srv/pipelines/runs' });
  const { store } = ctx.dashboard;

  // The run page's subject: errors, and a session killed with SIGKILL then resumed.
  await interruptedRun({
    root,
    runName: 'harvard_2024',
    processName: 'collect',
    batches: 45,
    start: now - 6 * 3600,
    step: 150,
    gapSeconds: 1800,
    // Two sessions of 45 batches: the run ends at 100%.
    itemsTotal: 2 * pipelineItems(45),
  });
  // Sharded over three workers, finished.
  for (const worker of ['w0', 'w1', 'w2']) {
    await runPipeline({
      root,
      runName: 'harvard_2024',
      processName: 'sync',
      mode: 'complete',
      batches: 30,
      start: now - 3 * 3600,
      step: 120,
      worker,
      itemsTotal: pipelineItems(30),
    });
  }
  // A failed run.
  await runPipeline({
    root,
    runName: 'yale_2024',
    processName: 'enrich',
    mode: 'fail',
    batches: 12,
    start: now - 9 * 3600,
    step: 200,
    itemsTotal: 5000,
  });
  // A crashed one: killed, never resumed.
  const crashed = startPipeline({
    root,
    runName: 'yale_2024',
    processName: 'collect',
    mode: 'hang',
    batches: 25,
    start: now - 2 * 3600,
    step: 90,
    itemsTotal: 8000,
  });
  await crashed.said('waiting');
  crashed.kill('SIGKILL');
  await crashed.exited;
  // Completed cleanly, and one silent for hours with no owner (stale).
  await writeRun(
    store,
    'princeton_2024',
    'collect',
    (s, clock) => {
      s.setItemsTotal(12_000);
      s.incrementItems({ processed: 12_000, successful: 12_000, bytes: 9_800_000_000 });
      clock.advance(5400);
      s.endProcess();
    },
    { start: now - 30 * 3600 },
  );
  await writeRun(
    store,
    'princeton_2024',
    'sync',
    (s, clock) => {
      s.setItemsTotal(12_000);
      s.incrementItems({ processed: 4_210, successful: 4_190, failed: 20 });
      s.addError('S3UploadError', 'SlowDown: please reduce your request rate');
      clock.advance(3000);
      s.checkpoint();
    },
    { start: now - 8 * 3600 },
  );
  // Running while the pictures are taken (its owner alive), its last save just now.
  for (const [runName, batches, step, total] of [
    ['nightly_2026_11_30', 40, 6, 9000],
    ['stanford_2024', 30, 20, 4000],
  ] as const) {
    const running = startPipeline({
      root,
      runName,
      processName: 'collect',
      mode: 'hang',
      batches,
      start: now - batches * step,
      step,
      itemsTotal: total,
    });
    ctx.running.push(running);
    await running.said('waiting');
  }
  return ctx as Setup;
});

test.before.each(async (ctx) => {
  ctx.setup = await prepare();
});

test.after(async () => {
  for (const p of partial.running ?? []) {
    p.kill('SIGKILL');
    await p.exited;
  }
  await browser.close();
  await partial.dashboard?.close();
  partial.cleanup?.();
  partial.outCleanup?.();
});

/** Width and height of a PNG, from its header. */
function pngSize(path: string): { width: number; height: number; bytes: number } {
  const bytes = readFileSync(path);
  assert.equal([...bytes.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10], `${path} is a PNG`);
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20), bytes: bytes.length };
}

async function shoot(page: Page, path: string, fullPage: boolean): Promise<void> {
  // The ticking "ago" labels and the live dot settle; no animation is caught half-way.
  await page.evaluate(() => document.fonts.ready);
  await page.screenshot({ path, fullPage, animations: 'disabled' });
  const size = pngSize(path);
  assert.is(size.width, VIEWPORT.width, path);
  assert.ok(size.height >= VIEWPORT.height, path);
  assert.ok(size.bytes > 20_000, `${path}: ${size.bytes} bytes is too little to be the page`);
}

for (const scheme of ['light', 'dark'] as const) {
  const suffix = scheme === 'light' ? '' : '-dark';

  test(`overview (${scheme}): every status, the sharded process as one row, written to overview${suffix}.png`, async ({
    setup,
  }) => {
    const context = await setup.browser.newContext({ viewport: VIEWPORT, colorScheme: scheme });
    try {
      const watched = await watchedPage(context);
      const { page } = watched;
      await page.goto(setup.dashboard.url);
      await page.waitForSelector('tr[data-testid="run-row"][data-run="stanford_2024"]');
      const statuses = await page.$$eval('tr[data-testid="run-row"]', (rows) =>
        rows.map((r) => r.getAttribute('data-status')),
      );
      for (const status of [
        'running',
        'crashed',
        'stale',
        'failed',
        'completed',
        'completed_with_failures',
      ]) {
        assert.ok(statuses.includes(status), `${status} in ${statuses.join(', ')}`);
      }
      assert.is(statuses.length, 8);
      await shoot(page, join(setup.out, `overview${suffix}.png`), false);
      assert.equal(await watched.cspViolations(), []);
    } finally {
      await context.close();
    }
  });

  test(`run page (${scheme}): chart with the interruption marked, errors, sessions, written to run${suffix}.png`, async ({
    setup,
  }) => {
    const context = await setup.browser.newContext({ viewport: VIEWPORT, colorScheme: scheme });
    try {
      const watched = await watchedPage(context);
      const { page } = watched;
      await page.goto(`${setup.dashboard.url}runs/harvard_2024/collect`);
      await page.waitForSelector('[data-testid="chart"] canvas');
      await page.waitForSelector('[data-testid="interruption"]');
      await page.waitForSelector('[data-testid="error-row"]');
      assert.is(await page.locator('[data-testid="session-row"]').count(), 2);
      await shoot(page, join(setup.out, `run${suffix}.png`), true);
      assert.equal(await watched.cspViolations(), []);
    } finally {
      await context.close();
    }
  });
}

test.run();
