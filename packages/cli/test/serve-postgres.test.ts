import { randomBytes } from 'node:crypto';
import { createManualClock, ProcessSummary } from '@process-summary/core';
import { silentLogger } from '@process-summary/store-fs';
import { PgSummaryStore } from '@process-summary/store-pg';
import { testPostgres } from '@process-summary/test-kit';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { completedRun } from './_helpers.ts';
import { get, serve } from './_serve.ts';

const test = suite('serve --store postgres://');

test('serves the database’s runs, names the store without its password, and exits 0 on Ctrl-C with the pool closed', async () => {
  const server = await testPostgres();
  const schema = `ps_cli_serve_${randomBytes(6).toString('hex')}`;
  const url = new URL(server.url);
  url.searchParams.set('schema', schema);
  const store = new PgSummaryStore({ url: server.url, schema, logger: silentLogger });
  try {
    const clock = createManualClock();
    const summary = new ProcessSummary({ runName: 'nightly', processName: 'collect', clock });
    summary.startProcess();
    completedRun(summary, clock);
    await store.save(summary);

    const serving = await serve(['--store', url.href, '--port', '0']);
    let stopped: { code: number | null } | null = null;
    try {
      const runs = await get(`${serving.url}api/runs`);
      assert.is(runs.status, 200, runs.body);
      const json = JSON.parse(runs.body) as {
        store: string;
        rows: { run_name: string; process_name: string; items_processed: number }[];
      };
      assert.equal(
        json.rows.map((r) => [r.run_name, r.process_name, r.items_processed]),
        [['nightly', 'collect', 1000]],
      );
      if (url.password !== '') assert.not.ok(json.store.includes(url.password), json.store);
      assert.ok(json.store.startsWith('postgres'), json.store);
    } finally {
      // Exits at once: a pool left open would keep the process alive for its idle timeout.
      stopped = await serving.stop('SIGINT');
    }
    assert.is(stopped?.code, 0, serving.stderr());
  } finally {
    // The schema stays, as every test's here: the throwaway server goes with the test process.
    await store.close();
  }
});

test.run();
