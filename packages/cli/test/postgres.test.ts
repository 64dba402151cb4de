import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createManualClock, ProcessSummary } from '@process-summary/core';
import { FileSummaryStore, silentLogger } from '@process-summary/store-fs';
import { PgSummaryStore } from '@process-summary/store-pg';
import { testPostgres } from '@process-summary/test-kit';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { cli, completedRun, tempRoot } from './_helpers.ts';
import { dictOf, eventsOf, liveOwner, nightly, shard, writeSource } from './_stores.ts';

interface Ctx {
  root: string;
  cleanup: () => void;
  /** The test server with this test's own schema (`?schema=`). */
  url: string;
  /** A store of its own on that schema, to put runs in and look at them. */
  pg: PgSummaryStore;
}

const test = suite<Ctx>('a postgres:// store from the command line');
test.before.each(async (ctx) => {
  Object.assign(ctx, tempRoot());
  const server = await testPostgres();
  const schema = `ps_cli_${randomBytes(6).toString('hex')}`;
  const url = new URL(server.url);
  url.searchParams.set('schema', schema);
  ctx.url = url.href;
  ctx.pg = new PgSummaryStore({ url: server.url, schema, logger: silentLogger });
});
test.after.each(async (ctx) => {
  await ctx.pg.close();
  ctx.cleanup();
});

const files = (root: string) => new FileSummaryStore({ root, logger: silentLogger });

test('--store postgres:// and PROCESS_SUMMARY_STORE: list and show read the database', async ({
  url,
  pg,
}) => {
  const summary = new ProcessSummary({
    runName: 'nightly',
    processName: 'collect',
    clock: createManualClock(),
  });
  summary.startProcess();
  completedRun(summary, createManualClock());
  await pg.save(summary);
  for (const [args, env] of [
    [['--store', url], {}],
    [[], { PROCESS_SUMMARY_STORE: url }],
  ] as const) {
    const list = cli(['list', '--json', ...args], env);
    assert.is(list.code, 0, list.stderr);
    const json = JSON.parse(list.stdout) as {
      root: string;
      summaries: { run_name: string; items_processed: number }[];
    };
    assert.equal(
      json.summaries.map((s) => [s.run_name, s.items_processed]),
      [['nightly', 1000]],
    );
    const show = cli(['show', 'nightly', 'collect', '--json', ...args], env);
    assert.is(show.code, 0, show.stderr);
    assert.is((JSON.parse(show.stdout) as { items_failed: number }).items_failed, 10);
    const text = cli(['show', 'nightly', 'collect', ...args], env);
    assert.is(text.code, 0, text.stderr);
    assert.match(text.stdout, /ValidationError/);
  }
  const empty = cli(['list', '--store', url.replace(/schema=\w+/, 'schema=ps_cli_empty')]);
  assert.is(empty.code, 0, empty.stderr);
  assert.match(empty.stdout, /no summaries/);
});

test('copy file → PostgreSQL → file: every dict and journal as it was, workers included', async ({
  root,
  url,
  pg,
}) => {
  const from = join(root, 'from');
  const back = join(root, 'back');
  await writeSource(from);
  const there = cli(['copy', '--root', from, '--to', url, '--json']);
  assert.is(there.code, 0, there.stderr);
  assert.is((JSON.parse(there.stdout) as { copied: number }).copied, 3);
  // The password never shows: the report names the database without it.
  assert.not.match(there.stdout, /:process-summary@/);
  for (const ref of [nightly, shard('w1'), shard('w2')]) {
    assert.equal(await dictOf(pg, ref), await dictOf(files(from), ref));
    assert.equal(await eventsOf(pg, ref), await eventsOf(files(from), ref));
  }
  const home = cli(['copy', '--store', url, '--to', back]);
  assert.is(home.code, 0, home.stderr);
  assert.match(home.stdout, /copied 3 of 3 summaries/);
  for (const ref of [nightly, shard('w1'), shard('w2')]) {
    assert.equal(await dictOf(files(back), ref), await dictOf(files(from), ref));
    const events = await eventsOf(files(back), ref);
    assert.equal(events, await eventsOf(files(from), ref));
  }
  assert.ok((await eventsOf(files(back), nightly)).length > 2500);
  // Copied again without --replace: refused, the database unchanged.
  const again = cli(['copy', 'nightly', '--root', from, '--to', url]);
  assert.is(again.code, 1);
  assert.match(again.stderr, /holds this summary/);
});

test('a run owned by a live process in PostgreSQL is neither copied from nor overwritten', async ({
  root,
  url,
  pg,
}) => {
  const from = join(root, 'from');
  await writeSource(from);
  const owner = await liveOwner(url, 'nightly', 'collect');
  try {
    const into = cli(['copy', 'nightly', '--root', from, '--to', url, '--replace']);
    assert.is(into.code, 1);
    assert.match(into.stderr, /refused: nightly\/collect: is owned in the target/);
    assert.is((await dictOf(pg, nightly)).items_processed, 100, 'the live run is untouched');
    const out = cli(['copy', 'nightly', '--store', url, '--to', join(root, 'out')]);
    assert.is(out.code, 1);
    assert.match(out.stderr, /is still owned in the source/);
    assert.not.ok(existsSync(join(root, 'out', 'nightly')), 'nothing written');
  } finally {
    await owner.stop();
  }
});

test('a server that cannot be reached: exit 3, one line, the password not echoed; copy tries no further', async ({
  root,
}) => {
  const down = 'postgres://pipeline:secret@127.0.0.1:1/runs';
  const result = cli(['list', '--store', down]);
  assert.is(result.code, 3, result.stderr);
  assert.is(result.stderr.trim().split('\n').length, 1);
  assert.not.match(result.stderr, /secret/);
  await writeSource(root);
  const copy = cli(['copy', '--root', root, '--to', down, '--json']);
  assert.is(copy.code, 3, copy.stderr);
  assert.not.match(copy.stdout, /secret/);
  const report = JSON.parse(copy.stdout) as {
    not_copied: number;
    summaries: { action: string; code: string }[];
  };
  assert.is(report.not_copied, 3);
  assert.equal(report.summaries, [
    { ...report.summaries[0], action: 'failed', code: 'E_STORE_UNAVAILABLE' },
  ]);
});

test('a schema name that is not one (?schema=) is a usage error', ({ url }) => {
  const result = cli(['list', '--store', url.replace(/schema=\w+/, 'schema=Robert%27%3B')]);
  assert.is(result.code, 2, result.stderr);
});

test.run();
