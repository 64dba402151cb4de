/**
 * The overview in real headless Chromium: what it lists, and how it follows the store live
 * (saves, a killed pipeline, the live / paused toggle, a server restart).
 */
import { ProcessSummary, type SummaryRef } from '@process-summary/core';
import type { Page } from 'playwright-core';
import * as assert from 'uvu/assert';
import {
  copySeedFixtures,
  type Dashboard,
  pageSuite,
  rowSelector,
  startDashboard,
  startPipeline,
  writeRun,
} from './_browser.ts';

const test = pageSuite('e2e: overview', { width: 1280, height: 800 });

const processedCell = (run: string, process: string) =>
  `${rowSelector(run, process)} [data-testid="processed"]`;

/** Waits until the processed cell of (run, process) reads `text` (the count before any " / total"). */
async function waitForProcessed(page: Page, run: string, process: string, text: string) {
  await page.waitForFunction(
    ([selector, expected]) => {
      const cell = document.querySelector(selector as string);
      return (cell?.textContent ?? '').split('/')[0]?.trim() === expected;
    },
    [processedCell(run, process), text],
    { timeout: 15_000 },
  );
}

/** Marks the page: a reload or navigation would lose the mark. */
async function mark(page: Page): Promise<void> {
  await page.evaluate(() => {
    (window as unknown as { __mark: number }).__mark = 42;
  });
}

async function stillMarked(page: Page): Promise<boolean> {
  return page.evaluate(() => (window as unknown as { __mark?: number }).__mark === 42);
}

/** A summary owned by this test, saved through the store as a pipeline would. */
async function ownedRun(dashboard: Dashboard, ref: SummaryRef) {
  const { lease } = await dashboard.store.acquire(ref);
  const summary = new ProcessSummary({ runName: ref.runName, processName: ref.processName });
  summary.startProcess();
  summary.setItemsTotal(1000);
  return {
    summary,
    save: async (processed: number) => {
      summary.incrementItems({
        processed: processed - summary.itemsProcessed,
        successful: processed - summary.itemsProcessed,
      });
      await dashboard.store.save(summary, lease);
    },
    release: () => dashboard.store.release(lease),
  };
}

test('lists the fixture runs: seed-format files and runs written by ProcessSummary, each with its status in words, and no date in 1970', async ({
  dir,
  dashboard,
  watched,
}) => {
  copySeedFixtures(dir);
  await writeRun(dashboard.store, 'nightly', 'collect', (s, clock) => {
    s.setItemsTotal(500);
    s.incrementItems({ processed: 500, successful: 500 });
    clock.advance(120);
    s.endProcess();
  });
  await writeRun(dashboard.store, 'nightly', 'sync', (s, clock) => {
    s.incrementItems({ processed: 40, successful: 30, failed: 10 });
    s.addError('NetworkError', 'Connection reset');
    clock.advance(60);
    s.endProcess({ outcome: 'failed' });
  });
  const { page } = watched;
  await page.goto(dashboard.url);
  await page.waitForSelector(rowSelector('nightly', 'sync'));
  const rows = await page.$$eval('tr[data-testid="run-row"]', (trs) =>
    trs.map((tr) => [
      tr.getAttribute('data-run'),
      tr.getAttribute('data-process'),
      tr.getAttribute('data-status'),
    ]),
  );
  assert.equal(
    [...rows].sort((a, b) => `${a[0]}/${a[1]}`.localeCompare(`${b[0]}/${b[1]}`)),
    [
      ['harvard_2024', 'collect', 'completed_with_failures'],
      ['harvard_2024', 'sync', 'stale'],
      ['nightly', 'collect', 'completed'],
      ['nightly', 'sync', 'failed'],
    ],
  );
  // The status in words, not only as a colour.
  const statusText = await page.textContent(
    `${rowSelector('nightly', 'sync')} [data-testid="status"]`,
  );
  assert.match(statusText ?? '', /failed/);
  assert.match(
    (await page.textContent(processedCell('nightly', 'collect'))) ?? '',
    /^500\s*\/\s*500$/,
  );
  assert.not.match((await page.textContent('body')) ?? '', /1970/);
  assert.equal(await watched.cspViolations(), []);
  assert.equal(watched.pageErrors, []);
});

test('a save appears on the open page without a reload, and a new process gets its row', async ({
  dashboard,
  watched,
}) => {
  const { page } = watched;
  const run = await ownedRun(dashboard, { runName: 'live', processName: 'collect' });
  try {
    await run.save(10);
    await page.goto(dashboard.url);
    await waitForProcessed(page, 'live', 'collect', '10');
    await mark(page);
    await run.save(123);
    await waitForProcessed(page, 'live', 'collect', '123');
    await run.save(4567);
    await waitForProcessed(page, 'live', 'collect', '4,567');
    // A process saved for the first time while the page is open.
    await writeRun(dashboard.store, 'live', 'sync', (s) => s.incrementItems({ processed: 9 }));
    await waitForProcessed(page, 'live', 'sync', '9');
    assert.ok(await stillMarked(page), 'the page was not reloaded');
  } finally {
    await run.release();
  }
  assert.equal(await watched.cspViolations(), []);
});

test('a pipeline child process: its saves show live, and once SIGKILLed its row turns crashed without any save', async ({
  dir,
  dashboard,
  watched,
}) => {
  const { page } = watched;
  await page.goto(dashboard.url);
  await page.waitForSelector('[data-testid="live-toggle"][aria-pressed="true"]');
  await mark(page);
  const pipeline = startPipeline({
    root: dir,
    runName: 'nightly',
    processName: 'collect',
    mode: 'hang',
    batches: 12,
    start: Date.now() / 1000 - 600,
    step: 50,
    itemsTotal: 2000,
  });
  try {
    await pipeline.said('waiting');
    const row = rowSelector('nightly', 'collect');
    await page.waitForSelector(`${row}[data-status="running"]`, { timeout: 15_000 });
    pipeline.kill('SIGKILL');
    await pipeline.exited;
    // Nothing saves after the kill: the server judges the row again and sends the crash.
    await page.waitForSelector(`${row}[data-status="crashed"]`, { timeout: 20_000 });
    assert.match((await page.textContent(`${row} [data-testid="status"]`)) ?? '', /crashed/);
    assert.ok(await stillMarked(page), 'the page was not reloaded');
  } finally {
    pipeline.kill('SIGKILL');
    await pipeline.exited;
  }
});

test('paused: saves do not change the page; live again: it catches up', async ({
  dashboard,
  context,
  watched,
}) => {
  const { page } = watched;
  const run = await ownedRun(dashboard, { runName: 'toggle', processName: 'collect' });
  // A second page, left live, proves each save was sent before the paused one is looked at.
  const witness = await context.newPage();
  try {
    await run.save(1);
    await page.goto(dashboard.url);
    await witness.goto(dashboard.url);
    await waitForProcessed(page, 'toggle', 'collect', '1');
    await waitForProcessed(witness, 'toggle', 'collect', '1');
    await mark(page);

    const toggle = page.locator('[data-testid="live-toggle"]');
    assert.is(await toggle.getAttribute('aria-pressed'), 'true');
    await toggle.click();
    assert.is(await toggle.getAttribute('aria-pressed'), 'false');
    assert.match((await toggle.textContent()) ?? '', /Paused/);
    // The stream is closed once the label says so (the button changes first, in the same render).
    await page.waitForSelector('[data-testid="stream-state"].state-paused', { state: 'attached' });

    await run.save(222);
    await waitForProcessed(witness, 'toggle', 'collect', '222');
    await run.save(333);
    await waitForProcessed(witness, 'toggle', 'collect', '333');
    assert.is(
      ((await page.textContent(processedCell('toggle', 'collect'))) ?? '').split('/')[0]?.trim(),
      '1',
      'a paused page shows what it had',
    );

    await toggle.click();
    assert.is(await toggle.getAttribute('aria-pressed'), 'true');
    await waitForProcessed(page, 'toggle', 'collect', '333');
    assert.ok(await stillMarked(page), 'the page was not reloaded');
  } finally {
    await witness.close();
    await run.release();
  }
});

test('a server restart on the same port: the open page reconnects and resumes live updates without a reload', async (ctx) => {
  const { page } = ctx.watched;
  const ref = { runName: 'restart', processName: 'collect' };
  let run = await ownedRun(ctx.dashboard, ref);
  await run.save(5);
  await page.goto(ctx.dashboard.url);
  await waitForProcessed(page, 'restart', 'collect', '5');
  await mark(page);

  const port = Number(new URL(ctx.dashboard.url).port);
  await ctx.dashboard.close();
  // The page notices the stream is gone.
  await page.waitForSelector(
    '[data-testid="live-toggle"] .dot-reconnecting, .stream-state.state-reconnecting',
    {
      timeout: 15_000,
    },
  );
  // A save while no server runs: the new server's hello makes the page fetch it.
  await run.save(66);
  await run.release();
  ctx.dashboard = await startDashboard(ctx.dir, { port });
  assert.is(Number(new URL(ctx.dashboard.url).port), port);
  await waitForProcessed(page, 'restart', 'collect', '66');
  // And live again: a save after the restart shows too.
  run = await ownedRun(ctx.dashboard, ref);
  try {
    await run.save(777);
    await waitForProcessed(page, 'restart', 'collect', '777');
  } finally {
    await run.release();
  }
  assert.ok(await stillMarked(page), 'the page was not reloaded');
});

test('behind a base path (/pipelines/): pages, assets, links and the live stream all stay under it', async (ctx) => {
  await ctx.dashboard.close();
  ctx.dashboard = await startDashboard(ctx.dir, { basePath: '/pipelines' });
  const { page } = ctx.watched;
  const requested: string[] = [];
  page.on('request', (r) => requested.push(new URL(r.url()).pathname));
  const run = await ownedRun(ctx.dashboard, { runName: 'proxied', processName: 'collect' });
  try {
    await run.save(3);
    assert.match(ctx.dashboard.url, /\/pipelines\/$/);
    await page.goto(ctx.dashboard.url);
    await waitForProcessed(page, 'proxied', 'collect', '3');
    await run.save(44);
    await waitForProcessed(page, 'proxied', 'collect', '44');
    await page.click(`${rowSelector('proxied', 'collect')} a >> nth=1`);
    await page.waitForSelector('[data-testid="chart"]');
    assert.is(new URL(page.url()).pathname, '/pipelines/runs/proxied/collect');
    await run.save(555);
    await page.waitForFunction(
      () => document.querySelector('[data-testid="processed"]')?.textContent?.trim() === '555',
      undefined,
      { timeout: 15_000 },
    );
  } finally {
    await run.release();
  }
  assert.ok(requested.length > 3, requested.join(' '));
  assert.equal(
    requested.filter((path) => !path.startsWith('/pipelines/')),
    [],
    'every request under the base path',
  );
  assert.equal(await ctx.watched.cspViolations(), []);
  assert.equal(ctx.watched.pageErrors, []);
});

test.run();
