// Child process of the crash and exit tests: a pipeline process with a PgSummaryStore, doing what argv
// says and printing one JSON line per step. It never installs an 'uncaughtException' handler:
// whatever the store lets escape kills it, as it would kill a pipeline.
//   <url> <schema> acquire-blocked: saves, says "ready", then at SIGUSR2 acquires (the test holds
//     the row locked and breaks the server meanwhile), says how that went, then at SIGUSR2 (the
//     server is back) saves again and exits.
//   <url> <schema> idle: saves, says "saved", then waits idle until SIGUSR2 (the test restarts
//     the server meanwhile), saves again (retrying once on E_STORE_UNAVAILABLE), says how.
//   <url> <schema> save-once: saves once and returns without close(): it must exit by itself.
//   <url> <schema> busy-once: acquire, save, read, list, events, a watch aborted, release; returns
//     without close(): it must exit by itself.
//   (Both say what still keeps the event loop alive after their last call: `holding`.)
import { ProcessSummary } from '@process-summary/core';
import { PgSummaryStore } from '../src/index.js';

const [url, schema, mode] = process.argv.slice(2) as [string, string, string];
const say = (message: Record<string, unknown>) =>
  process.stdout.write(`${JSON.stringify(message)}\n`);
const code = (err: unknown) => (err as { code?: string }).code ?? String(err);
const store = new PgSummaryStore({ url, schema, poolSize: 2, connectTimeoutMs: 5000 });
const ref = { runName: 'review', processName: 'child', worker: mode };
const summary = new ProcessSummary(ref);
summary.incrementItems({ processed: 1, successful: 1 });

if (mode === 'acquire-blocked') {
  await store.save(summary);
  say({ event: 'ready' });
  const keepAlive = setInterval(() => {}, 1000);
  await new Promise<void>((resolve) => process.once('SIGUSR2', () => resolve()));
  clearInterval(keepAlive);
  try {
    await store.acquire(ref);
    say({ event: 'acquire', outcome: 'acquired' });
  } catch (err) {
    say({ event: 'acquire', outcome: code(err) });
  }
  // Once the server is back (the test says so), the next save goes through: a pooled
  // connection the restart killed may fail one call, never two.
  const keepWaiting = setInterval(() => {}, 1000);
  await new Promise<void>((resolve) => process.once('SIGUSR2', () => resolve()));
  clearInterval(keepWaiting);
  summary.incrementItems({ processed: 1, successful: 1 });
  try {
    await store.save(summary).catch((err) => {
      if (code(err) !== 'E_STORE_UNAVAILABLE') throw err;
      return store.save(summary);
    });
    say({ event: 'saved-after', ok: true });
  } catch (err) {
    say({ event: 'saved-after', ok: false, code: code(err) });
  }
  await store.close();
} else if (mode === 'idle') {
  await store.save(summary);
  say({ event: 'saved' });
  const keepAlive = setInterval(() => {}, 1000);
  await new Promise<void>((resolve) => process.once('SIGUSR2', () => resolve()));
  clearInterval(keepAlive);
  summary.incrementItems({ processed: 1, successful: 1 });
  try {
    await store.save(summary);
  } catch (err) {
    if (code(err) !== 'E_STORE_UNAVAILABLE') throw err;
    await store.save(summary);
  }
  say({ event: 'saved-after', ok: true });
  await store.close();
} else if (mode === 'save-once') {
  await store.save(summary);
  await new Promise((resolve) => setImmediate(resolve));
  say({ event: 'saved', holding: process.getActiveResourcesInfo() });
} else if (mode === 'busy-once') {
  const { lease } = await store.acquire(ref);
  await store.save(summary, lease);
  await store.read(ref);
  await store.list();
  for await (const _ of store.events(ref)) {
  }
  const controller = new AbortController();
  const watching = (async () => {
    for await (const _ of store.watch({ signal: controller.signal })) break;
  })();
  await store.renew(lease);
  await store.save(summary, lease);
  controller.abort();
  await watching;
  await store.release(lease);
  await new Promise((resolve) => setImmediate(resolve));
  say({ event: 'done', holding: process.getActiveResourcesInfo() });
} else {
  throw new Error(`unknown mode ${mode}`);
}
