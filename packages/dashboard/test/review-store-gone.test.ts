/**
 * Review: when the store's root goes away while the server runs (an unmounted volume, a
 * deleted directory), `/metrics` answers 200 with an empty exposition: Prometheus scrapes it
 * successfully (`up` stays 1) and every series silently disappears, so no alert on the runs
 * can fire. `/api/runs` at least lists the problem; the metrics answer should fail (503 with
 * Retry-After, like the other routes on E_STORE_UNAVAILABLE / E_IO) or expose the problem.
 */
import { rmSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fileStore, raw, startServer, writeRuns } from './_server.js';

test('/metrics does not answer an empty 200 once the store root is gone', async () => {
  const t = await fileStore();
  const { held } = await writeRuns(t.store);
  for (const lease of held) await t.store.release(lease);
  const running = await startServer(t.store);
  try {
    const before = await raw(running.origin, '/metrics');
    assert.is(before.status, 200);
    assert.match(String(before.body), /nightly/);
    rmSync(t.root as string, { recursive: true, force: true });
    const after = await raw(running.origin, '/metrics');
    const text = String(after.body);
    const says = after.status >= 500 || /store|unavailable|not found|problem/i.test(text);
    assert.ok(
      says,
      `a store that is gone is scraped as a healthy store with no runs (${after.status}, ${JSON.stringify(text)})`,
    );
  } finally {
    await running.close();
    await t.cleanup();
  }
});

test.run();
