/**
 * 200 event-stream clients while a pipeline saves 10 times a second: what the server pays.
 *
 * Three processes, so no measurement shares an event loop with what it measures: the dashboard
 * server (`_server.mjs`, reporting its own RSS and CPU time), 200 raw HTTP clients parsing the
 * event stream (`_sse-clients.mjs`, one socket each, recording each `row` event's
 * items_processed and arrival time), and this one, which runs the pipeline
 * (`createProcessSummary` + `saveProcessSummary`, as a user's job does), one item and one save
 * every 100 ms, its items_processed numbering the saves.
 *
 * The pipeline saves for the same time with no client, with one, then with 200. With none the
 * server does not even watch the store (its live hub starts with the first stream), so that is
 * its idle cost; one client adds noticing each save and judging its row again; the rest is the
 * fan-out. Each phase's 30 s of saving is split into the kit's runs (5 of 6 s, 60 saves each;
 * `BENCH_RUNS` changes the count, each run stays 6 s), so every figure comes with its spread over
 * runs and a target is met only if every run met it; with 200 clients, every client must hold a
 * run's last save before the next run starts. Reported:
 * - server CPU time per save with 200 clients against with none and against one (the
 *   fan-out cost), and per client per save;
 * - server RSS: before the clients, with 200 connected, and after saving for the whole time
 *   (growth while saving is what a long run would accumulate);
 * - delivery: save resolved -> event received, p50 / p95 over every client and save;
 * - how far behind any client was: at every event it received, how many saves had resolved
 *   beyond the one the event shows (target: no client behind by more than 3 saves);
 * - counts, not timing: every client received each run's last save's row, and how many of the
 *   saves made each client was shown (fewer only when the hub coalesced saves), besides any row
 *   event repeating a save already shown.
 */
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  median,
  type Row,
  ratioRow,
  runsFor,
  statsFromRuns,
  writeReport,
} from '@process-summary/bench-kit';
import type { ProcessSummary } from '@process-summary/core';
import {
  createProcessSummary,
  releaseProcessSummary,
  saveProcessSummary,
} from '@process-summary/recovery';
import {
  epochMs,
  mib,
  NOT_A_TIME,
  quantile,
  quick,
  type ServerChild,
  sleep,
  startServer,
  writeSummaries,
} from './_setup.ts';

const here = dirname(fileURLToPath(import.meta.url));
const CLIENTS = 200;
const SAVES_PER_SECOND = 10;
/**
 * Each phase saves for the kit's runs (5, or `BENCH_RUNS`) of this many seconds: 30 s in all by
 * default, as one long phase was before, now with a figure per run.
 */
const RUN_SECONDS = quick ? 2 : 6;
const MAX_LAG_EVENTS = 3;
const RUN = 'bench';
const PROCESS = 'collect';

interface ClientReport {
  hellos: number;
  events: [number, number][];
  other: number;
  errors: string[];
  ended: boolean;
}

/** Saves one item every 1/SAVES_PER_SECOND s for `seconds`; the resolved time of each value. */
async function savePipeline(
  summary: ProcessSummary,
  seconds: number,
): Promise<Map<number, number>> {
  const resolved = new Map<number, number>();
  const period = 1000 / SAVES_PER_SECOND;
  const start = performance.now();
  const count = seconds * SAVES_PER_SECOND;
  for (let i = 1; i <= count; i++) {
    // On a schedule, not back to back: a slow save delays the next, never doubles up.
    const due = start + i * period;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    summary.incrementItems({ processed: 1, successful: 1 });
    const value = summary.itemsProcessed;
    if (!(await saveProcessSummary(summary))) throw new Error('the pipeline could not save');
    resolved.set(value, epochMs());
  }
  return resolved;
}

function startClients(url: string, count: number) {
  const child = fork(join(here, '_sse-clients.mjs'), [url, String(count), RUN, PROCESS], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ask = <T>(message: string, type: string) =>
    new Promise<T>((resolve) => {
      const on = (m: { type?: string }) => {
        if (m?.type !== type) return;
        child.off('message', on);
        resolve(m as T);
      };
      child.on('message', on);
      child.send(message);
    });
  return {
    ready: () => ask<{ ready: number; failed: number }>('ready', 'ready'),
    report: async () => (await ask<{ clients: ClientReport[] }>('report', 'report')).clients,
    close: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.send('close');
      }),
  };
}

/** Server CPU time per save while the pipeline saves for `seconds`; and each save's resolved time. */
async function cpuPerSaveNs(
  server: ServerChild,
  summary: ProcessSummary,
  seconds: number,
): Promise<{ perSaveNs: number; saves: Map<number, number> }> {
  const before = await server.stats();
  const saves = await savePipeline(summary, seconds);
  // Let the last save's work finish in the server before reading its clock.
  await sleep(500);
  const after = await server.stats();
  return { perSaveNs: ((after.cpuMicros - before.cpuMicros) * 1000) / saves.size, saves };
}

/**
 * CPU time per save over runs, as a row: the median of the runs' figures and each run's. There
 * is no per-save sample of the server's CPU time, so the slowest run stands for the tail.
 */
function cpuRow(name: string, runs: { perSaveNs: number; saves: Map<number, number> }[]): Row {
  const runsNs = runs.map((x) => x.perSaveNs);
  return {
    name,
    candidate: {
      medianNs: median(runsNs),
      p99Ns: Math.max(...runsNs),
      samples: runs.reduce((n, x) => n + x.saves.size, 0),
      runsNs,
    },
  };
}

/** What the clients saw of one run of saves. */
interface RunSeen {
  /** Save resolved -> row event received, ms, every client and save of the run. */
  delivery: number[];
  /** Most saves any client was behind when one of the run's events arrived. */
  maxLag: number;
  /** Clients that received the run's last save. */
  gotLast: number;
  /** Fewest and most distinct saves a client was shown (fewer than made: the hub coalesced). */
  minShown: number;
  maxShown: number;
  /** Most row events any client got again for a save it had already been shown. */
  maxRepeats: number;
}

/** Reads what every client received of the saves `saves` (values firstValue..lastValue). */
function seenOf(
  reports: ClientReport[],
  saves: Map<number, number>,
  firstValue: number,
  lastValue: number,
): RunSeen {
  const resolvedTimes = [...saves.values()].sort((a, b) => a - b);
  const resolvedBy = (t: number) => {
    let lo = 0;
    let hi = resolvedTimes.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((resolvedTimes[mid] as number) <= t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const seen: RunSeen = {
    delivery: [],
    maxLag: 0,
    gotLast: 0,
    minShown: Number.POSITIVE_INFINITY,
    maxShown: 0,
    maxRepeats: 0,
  };
  for (const client of reports) {
    const measured = client.events.filter(([v]) => v >= firstValue && v <= lastValue);
    const shown = new Set(measured.map(([v]) => v)).size;
    seen.minShown = Math.min(seen.minShown, shown);
    seen.maxShown = Math.max(seen.maxShown, shown);
    seen.maxRepeats = Math.max(seen.maxRepeats, measured.length - shown);
    if (measured.some(([v]) => v === lastValue)) seen.gotLast += 1;
    for (const [value, at] of measured) {
      const savedAt = saves.get(value);
      if (savedAt !== undefined) seen.delivery.push(at - savedAt);
      // Saves resolved by then beyond the one this event shows (its own counts as 1).
      const behind = resolvedBy(at) - (value - firstValue + 1);
      seen.maxLag = Math.max(seen.maxLag, behind);
    }
  }
  return seen;
}

export async function run(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'ps-dash-bench-sse-'));
  // Other runs beside the pipeline's, so a change is judged among them as in a real store.
  writeSummaries(root, 100, 10);
  const server = await startServer(root);
  const summary = await createProcessSummary(RUN, PROCESS, {
    root,
    handleSignals: false,
    heartbeatSeconds: 0,
  });
  summary.setItemsTotal(1_000_000);
  let clients: ReturnType<typeof startClients> | null = null;
  try {
    await saveProcessSummary(summary);
    // Warm-up: the server's first reads and the JIT, before anything is measured.
    await savePipeline(summary, 1);

    const runs = runsFor(undefined);
    const measureRun = async () => cpuPerSaveNs(server, summary, RUN_SECONDS);
    const alone: Awaited<ReturnType<typeof measureRun>>[] = [];
    for (let r = 0; r < runs; r++) alone.push(await measureRun());
    const single = startClients(server.url, 1);
    await single.ready();
    const one: Awaited<ReturnType<typeof measureRun>>[] = [];
    for (let r = 0; r < runs; r++) one.push(await measureRun());
    await single.close();
    await sleep(200);
    await server.gc();
    const rssBefore = (await server.stats()).rss;

    clients = startClients(server.url, CLIENTS);
    const { ready, failed } = await clients.ready();
    if (failed > 0 || ready !== CLIENTS) throw new Error(`${failed} of ${CLIENTS} clients failed`);
    await sleep(200);
    await server.gc();
    const rssConnected = (await server.stats()).rss;

    const withClients: Awaited<ReturnType<typeof measureRun>>[] = [];
    const seen: RunSeen[] = [];
    for (let r = 0; r < runs; r++) {
      const firstValue = summary.itemsProcessed + 1;
      const measured = await measureRun();
      const lastValue = summary.itemsProcessed;
      // Counts, not timing: wait (up to 10 s) for every client to hold the run's last save
      // before the next run starts, so no run's events spill into the next.
      let reports = await clients.report();
      for (let i = 0; i < 100; i++) {
        if (reports.every((c) => c.events.some(([v]) => v === lastValue))) break;
        await sleep(100);
        reports = await clients.report();
      }
      withClients.push(measured);
      seen.push(seenOf(reports, measured.saves, firstValue, lastValue));
    }
    await server.gc();
    const rssAfter = (await server.stats()).rss;

    const savesMade = withClients.reduce((n, x) => n + x.saves.size, 0);
    const perRunSaves = RUN_SECONDS * SAVES_PER_SECOND;
    const split = `${runs} runs of ${RUN_SECONDS} s (${perRunSaves} saves) each`;
    const delivery = seen.map((x) => x.delivery.map((ms) => ms * 1e6));
    const allDelivery = seen.flatMap((x) => x.delivery).sort((a, b) => a - b);
    const lags = seen.map((x) => x.maxLag);
    const gotLast = seen.map((x) => x.gotLast);
    const minShown = Math.min(...seen.map((x) => x.minShown));
    const maxShown = Math.max(...seen.map((x) => x.maxShown));
    const maxRepeats = Math.max(...seen.map((x) => x.maxRepeats));
    const name = `server CPU time per save, ${CLIENTS} stream clients (${SAVES_PER_SECOND} saves/s, ${split})`;
    const withRow = cpuRow(name, withClients);
    const oneRow = cpuRow('the same saves, one stream client', one);
    const aloneRow = cpuRow(
      'the same saves, no stream client (the server does not watch the store then)',
      alone,
    );
    const fanOutNs = withRow.candidate.medianNs - oneRow.candidate.medianNs;
    // Run i of each phase is paired with run i of the other: the phases ran one after another
    // (the clients connect between them), not side by side.
    const paired = 'runs paired in order; the phases ran one after another';
    const rows: Row[] = [
      {
        ...ratioRow(name, withRow, oneRow),
        note: `fan-out ${(fanOutNs / 1e6).toFixed(2)} ms per save, ${(fanOutNs / (CLIENTS - 1) / 1e3).toFixed(1)} µs per client per save (medians over runs); ${paired}`,
      },
      {
        ...ratioRow(name, withRow, aloneRow),
        // The idle figure is tens of microseconds: one disturbed run moves this ratio most.
        note: `no-client figure per run ${alone.map((x) => `${(x.perSaveNs / 1e3).toFixed(0)} µs`).join(', ')}; ${paired}`,
      },
      {
        name: `server RSS: ${mib(rssBefore)} before the clients, ${mib(rssConnected)} with ${CLIENTS} connected, ${mib(rssAfter)} after ${savesMade} saves`,
        candidate: NOT_A_TIME,
        note: `${((rssConnected - rssBefore) / CLIENTS / 1024).toFixed(1)} KiB per client; growth while saving ${mib(rssAfter - rssConnected)}`,
      },
      {
        name: `save resolved -> row event received, every client and save, ${split} (p95 over all ${quantile(allDelivery, 0.95).toFixed(1)} ms)`,
        candidate: statsFromRuns(delivery),
      },
      {
        name: `most saves any client was behind when an event arrived, ${CLIENTS} clients, ${split}`,
        candidate: NOT_A_TIME,
        note: `${Math.max(...lags)} save(s) at most; per run ${lags.join(', ')}`,
        target: `<= ${MAX_LAG_EVENTS} saves in every run`,
        met: lags.every((lag) => lag <= MAX_LAG_EVENTS),
      },
      {
        name: `clients that received each run's last save's row, ${split}: ${Math.min(...gotLast)} of ${CLIENTS} in the worst run; saves shown per client ${minShown}-${maxShown} of ${perRunSaves} a run${maxRepeats === 0 ? '' : `, and up to ${maxRepeats} row event(s) repeating a save already shown`}`,
        candidate: NOT_A_TIME,
        note: `per run ${gotLast.map((n) => `${n}/${CLIENTS}`).join(', ')}`,
        target: `all ${CLIENTS} in every run`,
        met: gotLast.every((n) => n === CLIENTS),
      },
    ];
    writeReport({ topic: 'sse-fanout', package: '@process-summary/dashboard', rows });
  } finally {
    await clients?.close();
    summary.endProcess();
    await saveProcessSummary(summary);
    await releaseProcessSummary(summary).catch(() => {});
    await server.close();
    rmSync(root, { recursive: true, force: true });
  }
}
