/**
 * 100 SIGKILLs (BENCH_QUICK: 20) of random workers mid-save while the others go on. 32 worker
 * processes (`kills/collect@w-NN`), each with a PgSummaryStore of its own, save every 100
 * increments and print the count of every acknowledged save; the bench kills one right after
 * it announced a save, then hands its ref to a standby process (started ahead, as a
 * supervisor's restart would be: node's own start-up on two cores busy with 32 savers took
 * 10-15 s, which says nothing of the store), which acquires it, loads it and goes on. The
 * store sees at once that an owner on this host whose process is gone crashed; an owner it
 * cannot judge so is gone when its lease expires (staleAfterSeconds is 2 here, renewed every
 * 0.5 s by the living), and acquire is retried until then. The note counts the reasons.
 *
 * Asserted, failing loudly otherwise: every takeover's `acquire` reports the previous owner
 * (`previous` non-null) and no other acquire does (the 32 first ones find none), so each crash
 * is classified exactly once; the loaded count is at least the last count the killed worker
 * acknowledged (no acknowledged save lost); at the end each ref holds its last ack.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { type Row, writeReport } from '@process-summary/bench-kit';
import type { SummaryRef } from '@process-summary/core';
import { PgSummaryStore } from '@process-summary/store-pg';
import {
  allReady,
  exitAll,
  HANG_LIMIT_MS,
  nextDone,
  startWorker,
  type WorkerConfig,
  type WorkerProcess,
  within,
} from './_fleet.js';
import { benchServer, dropSchema, percentile, quick } from './_setup.js';

const WORKERS = 32;
const KILLS = quick ? 20 : 100;
const SCHEMA = 'bench_pg_kill';
const STALE_AFTER_SECONDS = 2;
/** Processes started ahead, waiting to take a killed worker's ref (see _worker.mjs). */
const STANDBYS = 16;

interface Slot {
  ref: SummaryRef & { worker: string };
  current: WorkerProcess;
  busy: boolean;
}

export async function run(): Promise<void> {
  const { url, setup } = await benchServer();
  await dropSchema(url, SCHEMA);
  const configFor = (ref: Slot['ref']): WorkerConfig => ({
    url,
    modes: ['store'],
    schema: SCHEMA,
    bareTable: '',
    ref,
    staleAfterSeconds: STALE_AFTER_SECONDS,
    renewMs: 500,
    announceSaves: true,
    acquireLimitMs: 60_000,
  });
  const slots: Slot[] = Array.from({ length: WORKERS }, (_, i) => {
    const ref = {
      runName: 'kills',
      processName: 'collect',
      worker: `w-${String(i).padStart(2, '0')}`,
    };
    return { ref, current: startWorker(configFor(ref)), busy: false };
  });
  const everyWorker: WorkerProcess[] = slots.map((s) => s.current);
  const standbys: WorkerProcess[] = [];
  const addStandby = () => {
    const standby = startWorker(
      configFor({ runName: 'kills', processName: 'collect', worker: '' }),
    );
    everyWorker.push(standby);
    standbys.push(standby);
  };
  const idleStandby = () => standbys.find((w) => w.messages.some((m) => m.event === 'standby'));
  const failures: string[] = [];
  let midSave = 0;
  let classified = 0;
  const reasons = new Map<string, number>();
  let maxLost = 0;
  const takeoverMs: number[] = [];
  try {
    for (let i = 0; i < STANDBYS; i++) addStandby();
    await allReady(slots.map((s) => s.current));
    await Promise.all(standbys.map((w) => w.waitFor('standby')));
    for (const slot of slots) {
      const acquired = await slot.current.waitFor('acquired');
      if (acquired.previous !== null) {
        failures.push(`${slot.ref.worker}: the first acquire reported a previous owner`);
      }
      slot.current.send('go store 0');
    }

    const takeover = async (
      slot: Slot,
      victim: WorkerProcess,
      standby: WorkerProcess,
      killedAt: number,
    ) => {
      await within(victim.closed, `${slot.ref.worker}: the killed process closing its output`);
      const lastAck = victim.lastAck ?? 0;
      const victimEpoch = (await victim.waitFor('acquired')).epoch as number;
      const next = standby;
      next.send(`take ${slot.ref.worker}`);
      const acquired = await next.waitFor('acquired');
      takeoverMs.push(Date.now() - killedAt);
      const previous = acquired.previous as { reason: string; epoch: number | null } | null;
      if (previous === null) {
        failures.push(
          `${slot.ref.worker}: the takeover after a SIGKILL reported no previous owner`,
        );
      } else {
        classified += 1;
        reasons.set(previous.reason, (reasons.get(previous.reason) ?? 0) + 1);
      }
      if ((acquired.epoch as number) <= victimEpoch) {
        failures.push(`${slot.ref.worker}: epoch ${acquired.epoch} after ${victimEpoch}`);
      }
      const loaded = (await next.waitFor('loaded')).processed as number;
      maxLost = Math.max(maxLost, lastAck - loaded);
      if (loaded < lastAck) {
        failures.push(
          `${slot.ref.worker}: acknowledged ${lastAck}, loaded ${loaded} after the takeover`,
        );
      }
      await next.waitFor('ready');
      next.send('go store 0');
      slot.current = next;
      slot.busy = false;
    };

    const takeovers: Promise<void>[] = [];
    for (let kill = 0; kill < KILLS; kill++) {
      await sleep(20 + Math.random() * 180);
      let candidates = slots.filter((s) => !s.busy && s.current.acks > 0);
      let standby = idleStandby();
      const looking = Date.now();
      while (candidates.length === 0 || standby === undefined) {
        if (Date.now() - looking > HANG_LIMIT_MS) {
          throw new Error(
            `kill bench: no worker to kill or no standby to take over (kill ${kill})`,
          );
        }
        await sleep(50);
        candidates = slots.filter((s) => !s.busy && s.current.acks > 0);
        standby = idleStandby();
      }
      standbys.splice(standbys.indexOf(standby), 1);
      addStandby();
      const slot = candidates[Math.floor(Math.random() * candidates.length)] as Slot;
      slot.busy = true;
      const victim = slot.current;
      // Killed as soon as its output read so far ends with a save started. Whether that save
      // was acknowledged before the kill is known once its output is drained.
      const killed = await new Promise<{ at: number; acks: number }>((resolve, reject) => {
        const guard = setTimeout(
          () => reject(new Error(`${slot.ref.worker} stopped saving`)),
          30_000,
        );
        victim.onMidSave = () => {
          victim.onMidSave = null;
          clearTimeout(guard);
          victim.child.kill('SIGKILL');
          resolve({ at: Date.now(), acks: victim.acks });
        };
      });
      const killedAt = killed.at;
      void victim.closed.then(() => {
        if (victim.acks === killed.acks) midSave += 1;
      });
      takeovers.push(
        takeover(slot, victim, standby, killedAt).catch((err: unknown) => {
          failures.push(`${slot.ref.worker}: ${(err as Error).message}`);
          slot.busy = false;
        }),
      );
    }
    await Promise.all(takeovers);
    await sleep(500);

    // Stop everyone; then each ref must hold its last ack.
    const live = slots.map((s) => s.current);
    const doneBefore = live.map((w) => w.messages.filter((m) => m.event === 'done').length);
    for (const w of live) w.send('stop');
    await Promise.all(live.map((w, i) => nextDone(w, doneBefore[i] as number)));
    const reader = new PgSummaryStore({ url, schema: SCHEMA });
    try {
      for (const slot of slots) {
        const read = await reader.read(slot.ref);
        const held = (read?.dict as { items_processed?: number } | null)?.items_processed;
        if (held !== slot.current.lastAck) {
          failures.push(
            `${slot.ref.worker}: acknowledged ${slot.current.lastAck} last, holds ${held}`,
          );
        }
      }
    } finally {
      await reader.close();
    }
    if (failures.length > 0) {
      throw new Error(`kill bench: ${failures.length} failure(s):\n${failures.join('\n')}`);
    }
    takeoverMs.sort((a, b) => a - b);
    const row: Row = {
      name: `${KILLS} SIGKILLs of random workers mid-save (${WORKERS} worker processes), each ref taken over by a new process`,
      candidate: {
        medianNs: percentile(takeoverMs, 0.5) * 1e6,
        p99Ns: percentile(takeoverMs, 0.99) * 1e6,
        samples: takeoverMs.length,
      },
      target: 'no acknowledged save lost; each crash classified once',
      met: maxLost <= 0 && classified === KILLS,
      note: `kills ${KILLS} (${midSave} before their save was acknowledged), takeovers ${takeoverMs.length}, previous owner reported ${classified}x (${[...reasons].map(([reason, n]) => `${reason} ${n}`).join(', ')}), max lost acks ${Math.max(0, maxLost)}; times are kill to takeover`,
    };
    writeReport(
      Object.assign(
        { topic: 'kill', package: '@process-summary/store-pg', rows: [row] },
        { setup },
      ),
    );
  } finally {
    await exitAll(everyWorker);
    await dropSchema(url, SCHEMA);
  }
}
