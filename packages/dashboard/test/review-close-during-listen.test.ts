/**
 * Review: `close()` called while `listen()` is still under way (the host needs a DNS lookup,
 * e.g. `localhost`) must settle the promise `listen()` returned (rejected, or resolved and then
 * closed), and leave nothing listening. Today the promise stays pending forever: a caller
 * awaiting `listen()` (the CLI's serve command, an embedder's start-up) hangs, and with
 * nothing else keeping the event loop alive the process just exits mid-await.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createDashboardServer } from '../src/server.js';
import { fileStore } from './_server.js';

/** The outcome of `promise`, or 'pending' if it has not settled after `ms` (a liveness bound). */
function outcome(promise: Promise<unknown>, ms: number): Promise<string> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve('pending'), ms);
    promise.then(
      () => {
        clearTimeout(timer);
        resolve('resolved');
      },
      () => {
        clearTimeout(timer);
        resolve('rejected');
      },
    );
  });
}

test('close() while listen() is under way settles the promise listen() returned', async () => {
  const t = await fileStore();
  try {
    const server = createDashboardServer({ store: t.store, port: 0, host: 'localhost' });
    const listening = server.listen();
    await server.close();
    // A generous bound for a loopback DNS lookup: this is liveness (does it ever settle), not latency.
    const result = await outcome(listening, 10_000);
    assert.is.not(result, 'pending', 'listen() never settled after close()');
    assert.is(server.url, null, 'a closed server has no URL');
  } finally {
    await t.cleanup();
  }
});

test.run();
