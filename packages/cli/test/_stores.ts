import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { SummaryEvent, SummaryRef, SummaryStore } from '@process-summary/core';
import { completedRun, writeSummary } from './_helpers.ts';

export const nightly: SummaryRef = { runName: 'nightly', processName: 'collect', worker: null };
export const shard = (worker: string): SummaryRef => ({
  runName: 'sync',
  processName: 'push',
  worker,
});

/** A completed run with a journal of 2,500 progress updates (more than one batch), and two workers. */
export async function writeSource(root: string): Promise<void> {
  await writeSummary(root, 'nightly', 'collect', (summary, clock) => {
    for (let i = 1; i <= 2500; i++) summary.addProgressUpdate(`batch ${i}`, { batch: i });
    completedRun(summary, clock);
  });
  for (const worker of ['w1', 'w2']) {
    await writeSummary(root, 'sync', 'push', (s) => s.incrementItems({ processed: 7 }), {
      worker,
    });
  }
}

const ownerScript = fileURLToPath(new URL('./fixtures/owner.mjs', import.meta.url));

/** A summary as a store reads it back, without what the store stamps on a write. */
export async function dictOf(
  store: SummaryStore,
  ref: SummaryRef,
): Promise<Record<string, unknown>> {
  const read = await store.read(ref);
  if (read?.dict == null) throw new Error(`no summary: ${read?.problem?.message ?? 'none'}`);
  const { owner_epoch: _stamp, ...dict } = read.dict as unknown as Record<string, unknown>;
  return dict;
}

/** Every event of a journal; an unreadable line fails the test. */
export async function eventsOf(store: SummaryStore, ref: SummaryRef): Promise<SummaryEvent[]> {
  const events: SummaryEvent[] = [];
  for await (const record of store.events(ref)) {
    if (record.event === null)
      throw new Error(`unreadable journal line: ${record.problem.message}`);
    events.push(record.event);
  }
  return events;
}

/** A live owner of (run, process) in the store (a directory or a postgres:// URL); kill it when done. */
export async function liveOwner(
  where: string,
  runName: string,
  processName: string,
): Promise<{ pid: number; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, [ownerScript, where, runName, processName], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`owner fixture exited early (${code})`)));
    child.stdout.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolve();
    });
  });
  child.removeAllListeners('exit');
  const gone = new Promise((resolve) => child.on('exit', resolve));
  return {
    pid: child.pid as number,
    stop: async () => {
      child.kill('SIGKILL');
      await gone;
    },
  };
}
