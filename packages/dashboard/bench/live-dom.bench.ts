/**
 * Save -> visible: a pipeline saves while headless Chromium shows the overview; the time from
 * the save's promise resolving (in the pipeline) to the open page's DOM showing the new count,
 * p50 and p95 over 60 saves (BENCH_QUICK: 20). Target: p95 <= 1 s.
 *
 * The server runs in a process of its own (as `summary-inspect serve`); the pipeline
 * (`createProcessSummary` + `saveProcessSummary`) runs here. Both ends are stamped in epoch
 * milliseconds at sub-millisecond resolution on this machine's clock: the pipeline with
 * `performance.timeOrigin + performance.now()` when the save resolved, the page with the same
 * expression in a MutationObserver that sees the row's processed cell change (before paint: what
 * the DOM holds, as the target says). Saves are spaced (each waits for the previous one to show,
 * then 100-300 ms), so every save is measured alone rather than coalesced with the next.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Row, writeReport } from '@process-summary/bench-kit';
import {
  createProcessSummary,
  releaseProcessSummary,
  saveProcessSummary,
} from '@process-summary/recovery';
import { launchBrowser, rowSelector } from '../test/_browser.ts';
import {
  epochMs,
  quantile,
  quick,
  sleep,
  startServer,
  statsOfMs,
  writeSummaries,
} from './_setup.ts';

const SAVES = quick ? 20 : 60;
const RUN = 'bench';
const PROCESS = 'collect';

export async function run(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'ps-dash-bench-dom-'));
  // A realistic overview: 200 other rows on the page beside the pipeline's.
  writeSummaries(root, 200, 20);
  const server = await startServer(root);
  const summary = await createProcessSummary(RUN, PROCESS, {
    root,
    handleSignals: false,
    heartbeatSeconds: 0,
  });
  summary.setItemsTotal(1_000_000);
  await saveProcessSummary(summary);
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    // Filtered to the pipeline's row (the overview shows 100 rows a page, this one sorted
    // after the others): the page still holds and re-sorts all 201 rows on every change.
    await page.goto(`${server.url}?q=${RUN}`);
    const cell = `${rowSelector(RUN, PROCESS)} [data-testid="processed"]`;
    await page.waitForSelector(cell);
    // A string, not a function: tsx would wrap the inner function's name in a helper the page
    // does not have.
    await page.evaluate(`(() => {
      const selector = ${JSON.stringify(cell)};
      const seen = [];
      window.__seen = seen;
      let last = -1;
      const check = () => {
        const text = document.querySelector(selector)?.textContent ?? '';
        const value = Number((text.split('/')[0] ?? '').replace(/\\D/g, ''));
        if (text !== '' && value !== last) {
          last = value;
          seen.push([value, performance.timeOrigin + performance.now()]);
        }
      };
      new MutationObserver(check).observe(document.body, {
        subtree: true,
        childList: true,
        characterData: true,
      });
      check();
    })()`);

    const latencies: number[] = [];
    let missed = 0;
    for (let i = 0; i < SAVES + 3; i++) {
      summary.incrementItems({ processed: 1, successful: 1 });
      const value = summary.itemsProcessed;
      if (!(await saveProcessSummary(summary))) throw new Error('the pipeline could not save');
      const savedAt = epochMs();
      let shownAt: number | null = null;
      const deadline = Date.now() + 10_000;
      while (shownAt === null && Date.now() < deadline) {
        const seen = await page.evaluate(
          () => (window as unknown as { __seen: [number, number][] }).__seen,
        );
        shownAt = seen.find(([v]) => v >= value)?.[1] ?? null;
        if (shownAt === null) await sleep(20);
      }
      // The first saves warm the server and the page up; they are not counted.
      if (i >= 3) {
        if (shownAt === null) missed += 1;
        else latencies.push(shownAt - savedAt);
      }
      await sleep(100 + Math.random() * 200);
    }
    const sorted = [...latencies].sort((a, b) => a - b);
    const p95 = quantile(sorted, 0.95);
    const rows: Row[] = [
      {
        name: `save resolved -> count visible on the open overview (Chromium), ${SAVES} saves: p50 ${quantile(sorted, 0.5).toFixed(0)} ms, p95 ${p95.toFixed(0)} ms`,
        candidate: statsOfMs(latencies),
        note:
          missed === 0
            ? `p95 ${p95.toFixed(0)} ms`
            : `p95 ${p95.toFixed(0)} ms; ${missed} save(s) never shown within 10 s`,
        target: 'p95 <= 1 s',
        met: missed === 0 && latencies.length > 0 && p95 <= 1000,
      },
    ];
    writeReport({ topic: 'live-dom', package: '@process-summary/dashboard', rows });
  } finally {
    await browser.close();
    summary.endProcess();
    await saveProcessSummary(summary);
    await releaseProcessSummary(summary).catch(() => {});
    await server.close();
    rmSync(root, { recursive: true, force: true });
  }
}
