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
 * fan-out. Reported:
 * - server CPU time per save with 200 clients against with none and against one (the
 *   fan-out cost), and per client per save;
 * - server RSS: before the clients, with 200 connected, and after saving for the whole time
 *   (growth while saving is what a long run would accumulate);
 * - delivery: save resolved -> event received, p50 / p95 over every client and save;
 * - how far behind any client was: at every event it received, how many saves had resolved
 *   beyond the one the event shows (target: no client behind by more than 3 saves);
 * - counts, not timing: every client received the last save's row, and how many row events
 *   each client got out of the saves made (fewer only when the hub coalesced saves).
 */
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Row, writeReport } from '@process-summary/bench-kit';
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
  statsOfMs,
  writeSummaries,
} from './_setup.ts';

const here = dirname(fileURLToPath(import.meta.url));
const CLIENTS = 200;
const SAVES_PER_SECOND = 10;
const SECONDS = quick ? 5 : 30;
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

async function cpuPerSaveNs(
  server: ServerChild,
  summary: ProcessSummary,
): Promise<{ perSaveNs: number; saves: Map<number, number> }> {
  const before = await server.stats();
  const saves = await savePipeline(summary, SECONDS);
  // Let the last save's work finish in the server before reading its clock.
  await sleep(500);
  const after = await server.stats();
  return { perSaveNs: ((after.cpuMicros - before.cpuMicros) * 1000) / saves.size, saves };
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

    const alone = await cpuPerSaveNs(server, summary);
    const single = startClients(server.url, 1);
    await single.ready();
    const one = await cpuPerSaveNs(server, summary);
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

    const firstValue = summary.itemsProcessed + 1;
    const withClients = await cpuPerSaveNs(server, summary);
    const lastValue = summary.itemsProcessed;
    // Counts, not timing: wait (up to 10 s) for every client to hold the last save.
    let reports = await clients.report();
    for (let i = 0; i < 100; i++) {
      if (reports.every((c) => c.events.some(([v]) => v === lastValue))) break;
      await sleep(100);
      reports = await clients.report();
    }
    await server.gc();
    const rssAfter = (await server.stats()).rss;

    const saves = withClients.saves;
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
    const delivery: number[] = [];
    let maxLag = 0;
    let gotLast = 0;
    let minEvents = Number.POSITIVE_INFINITY;
    let maxEvents = 0;
    for (const client of reports) {
      const measured = client.events.filter(([v]) => v >= firstValue && v <= lastValue);
      minEvents = Math.min(minEvents, measured.length);
      maxEvents = Math.max(maxEvents, measured.length);
      if (measured.some(([v]) => v === lastValue)) gotLast += 1;
      for (const [value, at] of measured) {
        const savedAt = saves.get(value);
        if (savedAt !== undefined) delivery.push(at - savedAt);
        // Saves resolved by then beyond the one this event shows (its own counts as 1).
        const behind = resolvedBy(at) - (value - firstValue + 1);
        maxLag = Math.max(maxLag, behind);
      }
    }
    const sortedDelivery = [...delivery].sort((a, b) => a - b);
    const fanOutNs = withClients.perSaveNs - one.perSaveNs;
    const cpu = (x: { perSaveNs: number; saves: Map<number, number> }) => ({
      medianNs: x.perSaveNs,
      p99Ns: x.perSaveNs,
      samples: x.saves.size,
    });
    const name = `server CPU time per save, ${CLIENTS} stream clients (${SAVES_PER_SECOND} saves/s for ${SECONDS} s)`;
    const rows: Row[] = [
      {
        name,
        candidate: cpu(withClients),
        baseline: cpu(one),
        baselineName: 'the same saves, one stream client',
        ratio: withClients.perSaveNs / one.perSaveNs,
        note: `fan-out ${(fanOutNs / 1e6).toFixed(2)} ms per save, ${(fanOutNs / (CLIENTS - 1) / 1e3).toFixed(1)} µs per client per save`,
      },
      {
        name,
        candidate: cpu(withClients),
        baseline: cpu(alone),
        baselineName: 'the same saves, no stream client (the server does not watch the store then)',
        ratio: withClients.perSaveNs / alone.perSaveNs,
      },
      {
        name: `server RSS: ${mib(rssBefore)} before the clients, ${mib(rssConnected)} with ${CLIENTS} connected, ${mib(rssAfter)} after ${saves.size} saves`,
        candidate: NOT_A_TIME,
        note: `${((rssConnected - rssBefore) / CLIENTS / 1024).toFixed(1)} KiB per client; growth while saving ${mib(rssAfter - rssConnected)}`,
      },
      {
        name: `save resolved -> row event received, every client and save (p95 ${quantile(sortedDelivery, 0.95).toFixed(1)} ms)`,
        candidate: statsOfMs(delivery),
      },
      {
        name: `most saves any client was behind when an event arrived, ${CLIENTS} clients`,
        candidate: NOT_A_TIME,
        note: `${maxLag} save(s)`,
        target: `<= ${MAX_LAG_EVENTS} saves`,
        met: maxLag <= MAX_LAG_EVENTS,
      },
      {
        name: `clients that received the last save's row: ${gotLast} of ${CLIENTS}; row events per client ${minEvents}-${maxEvents} for ${saves.size} saves`,
        candidate: NOT_A_TIME,
        note: `${gotLast}/${CLIENTS}`,
        target: `all ${CLIENTS}`,
        met: gotLast === CLIENTS,
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
