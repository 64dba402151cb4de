/**
 * The run page in real headless Chromium: the chart is drawn (its canvas read back pixel by
 * pixel), an interruption recorded by recovery after a SIGKILL is listed and marked on it,
 * workers are broken down, a seed-format file shows no 1970 date, and a save updates the page
 * without a reload.
 */
import { ProcessSummary } from '@process-summary/core';
import type { Page } from 'playwright-core';
import * as assert from 'uvu/assert';
import {
  copySeedFixtures,
  type Dashboard,
  interruptedRun,
  pageSuite,
  runPipeline,
} from './_browser.ts';

const test = pageSuite('e2e: run page', { width: 1280, height: 900 });

const runUrl = (dashboard: Dashboard, run: string, process: string) =>
  `${dashboard.url}runs/${encodeURIComponent(run)}/${encodeURIComponent(process)}`;

/** What the chart's canvas holds: painted pixels, distinct colours, columns of the interruption colour. */
async function canvasReport(page: Page) {
  await page.waitForSelector('[data-testid="chart"] canvas');
  return page.evaluate(() => {
    const canvas = document.querySelector('[data-testid="chart"] canvas') as HTMLCanvasElement;
    const context = canvas.getContext('2d') as CanvasRenderingContext2D;
    const { width, height } = canvas;
    const pixels = context.getImageData(0, 0, width, height).data;
    // The interruption colour as the page's stylesheet sets it, turned into RGB by a canvas.
    const probe = document.createElement('canvas').getContext('2d') as CanvasRenderingContext2D;
    probe.fillStyle =
      getComputedStyle(document.documentElement).getPropertyValue('--chart-interruption').trim() ||
      '#dc2626';
    probe.fillRect(0, 0, 1, 1);
    const [r, g, b] = probe.getImageData(0, 0, 1, 1).data;
    let painted = 0;
    const colours = new Set<number>();
    const redByColumn = new Array<number>(width).fill(0);
    for (let i = 0; i < pixels.length; i += 4) {
      if ((pixels[i + 3] as number) === 0) continue;
      painted += 1;
      colours.add(
        ((pixels[i] as number) << 16) |
          ((pixels[i + 1] as number) << 8) |
          (pixels[i + 2] as number),
      );
      const close =
        Math.abs((pixels[i] as number) - (r as number)) < 12 &&
        Math.abs((pixels[i + 1] as number) - (g as number)) < 12 &&
        Math.abs((pixels[i + 2] as number) - (b as number)) < 12 &&
        (pixels[i + 3] as number) > 200;
      const column = (i / 4) % width;
      if (close) redByColumn[column] = (redByColumn[column] ?? 0) + 1;
    }
    return {
      width,
      height,
      painted,
      colours: colours.size,
      // Columns mostly of the interruption colour: vertical marker lines across the plot.
      markerColumns: redByColumn.filter((n) => n > height / 3).length,
    };
  });
}

test('the chart draws from the journal, and a session killed with SIGKILL is listed and marked as an interruption', async ({
  dir,
  dashboard,
  watched,
}) => {
  await interruptedRun({
    root: dir,
    runName: 'nightly',
    processName: 'collect',
    batches: 30,
    start: Date.now() / 1000 - 4 * 3600,
    step: 60,
    gapSeconds: 900,
    itemsTotal: 4000,
  });
  const { page } = watched;
  await page.goto(runUrl(dashboard, 'nightly', 'collect'));
  const canvas = await canvasReport(page);
  assert.ok(canvas.width > 200 && canvas.height > 100, JSON.stringify(canvas));
  assert.ok(
    canvas.painted > canvas.width * canvas.height * 0.02,
    `the canvas is not blank: ${JSON.stringify(canvas)}`,
  );
  assert.ok(canvas.colours >= 3, `lines, fill and axes: ${JSON.stringify(canvas)}`);
  assert.ok(canvas.markerColumns >= 1, `the interruption is drawn: ${JSON.stringify(canvas)}`);

  const interruptions = page.locator('[data-testid="interruption"]');
  assert.is(await interruptions.count(), 1);
  assert.is(await interruptions.first().getAttribute('data-reason'), 'crash');
  assert.match((await interruptions.first().textContent()) ?? '', /crash/);
  assert.match((await page.textContent('[data-testid="interruption-count"]')) ?? '', /^1$/);
  const sessions = await page.locator('[data-testid="session-row"]').allTextContents();
  assert.is(sessions.length, 2);
  assert.match(sessions[0] ?? '', /crash/);
  assert.match(sessions[1] ?? '', /completed/);
  assert.match(
    (await page.textContent('[data-testid="chart-summary"]')) ?? '',
    /2 sessions, 1 interruption; \d+ points .* from the journal/,
  );
  assert.equal(await watched.cspViolations(), []);
  assert.equal(watched.pageErrors, []);
});

test('a process run as workers: one page, merged counters, a row per worker, the merged chart drawn', async ({
  dir,
  dashboard,
  watched,
}) => {
  const start = Date.now() / 1000 - 3 * 3600;
  for (const worker of ['w0', 'w1', 'w2']) {
    await runPipeline({
      root: dir,
      runName: 'sharded',
      processName: 'collect',
      mode: 'complete',
      batches: 20,
      start,
      step: 45,
      worker,
      itemsTotal: 1000,
    });
  }
  const { page } = watched;
  await page.goto(dashboard.url);
  await page.waitForSelector('tr[data-testid="run-row"][data-run="sharded"]');
  await page.goto(runUrl(dashboard, 'sharded', 'collect'));
  await page.waitForSelector('[data-testid="worker-row"]');
  const workers = await page.$$eval('[data-testid="worker-row"]', (rows) =>
    rows.map((r) => r.getAttribute('data-worker')),
  );
  assert.equal(workers, ['w0', 'w1', 'w2']);
  const canvas = await canvasReport(page);
  assert.ok(canvas.painted > canvas.width * canvas.height * 0.02, JSON.stringify(canvas));
  // Three workers of the same batches: three times one worker's count.
  const processed = Number(
    ((await page.textContent('[data-testid="processed"]')) ?? '').replace(/\D/g, ''),
  );
  assert.ok(processed > 0 && processed % 3 === 0, String(processed));
  assert.equal(await watched.cspViolations(), []);
});

test('a seed-format summary (written by the Python original) shows relative times, never a date in 1970', async ({
  dir,
  dashboard,
  watched,
}) => {
  copySeedFixtures(dir);
  const { page } = watched;
  for (const process of ['collect', 'sync']) {
    await page.goto(runUrl(dashboard, 'harvard_2024', process));
    await page.waitForSelector('[data-testid="processed"]');
    await page.waitForSelector('[data-testid="chart"]');
    const text = (await page.textContent('body')) ?? '';
    assert.not.match(text, /1970/, process);
    assert.match(text, /\+\d/, `${process}: offsets from the start`);
  }
  assert.equal(watched.pageErrors, []);
});

test('a save updates the open run page without a reload', async ({ dashboard, watched }) => {
  const ref = { runName: 'live', processName: 'collect' };
  const { lease } = await dashboard.store.acquire(ref);
  try {
    const summary = new ProcessSummary(ref);
    summary.startProcess();
    summary.incrementItems({ processed: 10, successful: 10 });
    summary.addProgressUpdate('first batch');
    await dashboard.store.save(summary, lease);
    const { page } = watched;
    await page.goto(runUrl(dashboard, 'live', 'collect'));
    await page.waitForFunction(
      () => document.querySelector('[data-testid="processed"]')?.textContent?.trim() === '10',
    );
    await page.evaluate(() => {
      (window as unknown as { __mark: number }).__mark = 7;
    });
    summary.incrementItems({ processed: 2490, successful: 2480, failed: 10 });
    summary.addError('NetworkError', 'Connection reset by peer');
    summary.addProgressUpdate('second batch');
    await dashboard.store.save(summary, lease);
    await page.waitForFunction(
      () => document.querySelector('[data-testid="processed"]')?.textContent?.trim() === '2,500',
      undefined,
      { timeout: 15_000 },
    );
    await page.waitForSelector('[data-testid="error-row"][data-type="NetworkError"]');
    assert.ok(
      await page.evaluate(() => (window as unknown as { __mark?: number }).__mark === 7),
      'the page was not reloaded',
    );
  } finally {
    await dashboard.store.release(lease);
  }
});

test.run();
