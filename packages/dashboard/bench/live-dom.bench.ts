/**
 * Save -> visible: a pipeline saves while headless Chromium shows the overview; the time from
 * the save's promise resolving (in the pipeline) to the open page's DOM showing the new count,
 * over the kit's runs (5, or `BENCH_RUNS`) of 30 saves each (BENCH_QUICK: 10), one Chromium and
 * one page for all of them. Each run reports its p50 and p95; the rows give their medians and
 * spread over the runs. Target: p95 <= 1 s in every run (and no save left unshown).
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
import { median, type Row, runsFor, statsFromRuns, writeReport } from '@process-summary/bench-kit';
import {
  createProcessSummary,
  releaseProcessSummary,
  saveProcessSummary,
} from '@process-summary/recovery';
import { launchBrowser, rowSelector } from '../test/_browser.ts';
import { epochMs, quantile, quick, sleep, startServer, writeSummaries } from './_setup.ts';

const SAVES_PER_RUN = quick ? 10 : 30;
const WARM_UP_SAVES = 3;
const RUN = 'bench';
const PROCESS = 'collect';

/** Which of `count` sorted samples `quantile(sorted, 0.95)` picks, counted from the slowest. */
function p95Rank(count: number): string {
  const n = count - Math.floor(0.95 * count);
  return n === 1 ? 'the slowest' : `the ${n === 2 ? '2nd' : n === 3 ? '3rd' : `${n}th`} slowest`;
}

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

    /** One save, and when the page showed it: ms from resolved to visible, or null if never. */
    const saveAndSee = async (): Promise<number | null> => {
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
      await sleep(100 + Math.random() * 200);
      return shownAt === null ? null : shownAt - savedAt;
    };

    // The first saves warm the server and the page up; they are not counted.
    for (let i = 0; i < WARM_UP_SAVES; i++) await saveAndSee();
    const runs = runsFor(undefined);
    const latencyRuns: number[][] = [];
    const p95s: number[] = [];
    let missed = 0;
    for (let r = 0; r < runs; r++) {
      const latencies: number[] = [];
      for (let i = 0; i < SAVES_PER_RUN; i++) {
        const latency = await saveAndSee();
        if (latency === null) missed += 1;
        else latencies.push(latency);
      }
      const sorted = [...latencies].sort((a, b) => a - b);
      latencyRuns.push(latencies.map((x) => x * 1e6));
      // A run whose saves were all unshown has no p95 under the target.
      p95s.push(sorted.length === 0 ? Number.POSITIVE_INFINITY : quantile(sorted, 0.95));
    }
    const all = statsFromRuns(latencyRuns);
    const held = p95s.filter((x) => x <= 1000).length;
    const ms = (x: number) => `${x.toFixed(0)} ms`;
    const p95Text =
      runs > 1
        ? `p95 ${ms(median(p95s))} (median of the runs'; ${ms(Math.min(...p95s))}–${ms(Math.max(...p95s))} over ${runs} runs)`
        : `p95 ${ms(p95s[0] ?? Number.NaN)}`;
    const what = `save resolved -> count visible on the open overview (Chromium), ${runs} runs of ${SAVES_PER_RUN} saves`;
    const rows: Row[] = [
      {
        name: `${what}: median of each run`,
        candidate: all,
      },
      {
        // The row's times are the runs' p95s (median of them, and their spread), not medians:
        // the target is on the p95, and must hold in every run.
        name: `${what}: p95 of each run (of ${SAVES_PER_RUN} saves, ${p95Rank(SAVES_PER_RUN)})`,
        candidate: {
          medianNs: median(p95s) * 1e6,
          p99Ns: all.p99Ns,
          samples: all.samples,
          runsNs: p95s.map((x) => x * 1e6),
        },
        note: `${p95Text}; at most 1 s in ${held}/${runs} runs${missed === 0 ? '' : `; ${missed} save(s) never shown within 10 s`}`,
        target: 'p95 <= 1 s',
        met: missed === 0 && held === runs,
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
