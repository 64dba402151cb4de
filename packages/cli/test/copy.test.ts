import { existsSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createManualClock, ProcessSummary } from '@process-summary/core';
import { FileSummaryStore, silentLogger } from '@process-summary/store-fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { cli, copySeedFixtures, tempRoot, writeSummary } from './_helpers.ts';
import { dictOf, eventsOf, liveOwner, nightly, shard, writeSource } from './_stores.ts';

interface Ctx {
  from: string;
  to: string;
  cleanup: () => void;
}

const test = suite<Ctx>('copy between file stores');
test.before.each((ctx) => {
  const { root, cleanup } = tempRoot();
  ctx.from = join(root, 'from');
  ctx.to = join(root, 'to');
  ctx.cleanup = cleanup;
});
test.after.each((ctx) => ctx.cleanup());

const store = (root: string) => new FileSummaryStore({ root, logger: silentLogger });

interface Report {
  copied: number;
  not_copied: number;
  summaries: {
    summary: string;
    action: string;
    reason: string | null;
    events: number;
    skipped_lines: { message: string }[];
    seed_format: boolean;
    archived_as: string | null;
  }[];
}

test('every summary with its whole journal, each worker its own: dicts and journals equal', async ({
  from,
  to,
}) => {
  await writeSource(from);
  const result = cli(['copy', '--root', from, '--to', to]);
  assert.is(result.code, 0, result.stderr);
  assert.match(result.stdout, /copied nightly\/collect \(2,50\d journal events\)/);
  assert.match(result.stdout, /copied sync\/push@w1 /);
  assert.match(result.stdout, /copied 3 of 3 summaries to /);
  for (const ref of [nightly, shard('w1'), shard('w2')]) {
    assert.equal(await dictOf(store(to), ref), await dictOf(store(from), ref));
    const events = await eventsOf(store(to), ref);
    assert.equal(events, await eventsOf(store(from), ref));
    assert.ok(events.length > 0);
  }
  assert.ok((await eventsOf(store(to), nightly)).length > 2500, 'more than two batches');
  // The copy is a run like any other: shown the same.
  const show = (root: string) => {
    const result = cli(['show', 'nightly', 'collect', '--root', root, '--json']);
    assert.is(result.code, 0, result.stderr);
    // Where it is, and how long ago it was written when the command ran, are not the run's.
    const {
      location: _where,
      silent_seconds: _silent,
      ...view
    } = JSON.parse(result.stdout) as Record<string, unknown>;
    assert.is(view.items_processed, 1000);
    return view;
  };
  assert.equal(show(to), show(from));
});

test('a summary written with larger limits keeps every progress update and session it kept', async ({
  from,
  to,
}) => {
  const clock = createManualClock();
  const summary = new ProcessSummary({
    runName: 'nightly',
    processName: 'collect',
    clock,
    limits: { maxProgressUpdates: 300, maxSessions: 150 },
  });
  for (let i = 0; i < 120; i++) {
    summary.startProcess();
    summary.markInterrupted({ reason: 'exit' });
  }
  summary.startProcess();
  for (let i = 0; i < 250; i++) summary.addProgressUpdate(`batch ${i}`);
  await store(from).save(summary);
  const source = await dictOf(store(from), nightly);
  assert.is((source.progress_updates as unknown[]).length, 250);
  const result = cli(['copy', '--root', from, '--to', to]);
  assert.is(result.code, 0, result.stderr);
  assert.equal(await dictOf(store(to), nightly), source);
  assert.equal(await eventsOf(store(to), nightly), await eventsOf(store(from), nightly));
});

test('a run, a process or one worker: only those are copied', async ({ from, to }) => {
  await writeSource(from);
  const one = cli(['copy', 'sync', 'push@w2', '--root', from, '--to', to, '--json']);
  assert.is(one.code, 0, one.stderr);
  const report = JSON.parse(one.stdout) as Report;
  assert.equal(
    report.summaries.map((s) => [s.summary, s.action]),
    [['sync/push@w2', 'copied']],
  );
  assert.equal(
    (await store(to).list()).summaries.map((s) => s.worker),
    ['w2'],
  );
  const missing = cli(['copy', 'sync', 'pull', '--root', from, '--to', to]);
  assert.is(missing.code, 3);
  assert.match(missing.stderr, /no summary sync\/pull/);
});

test('a target that holds the summary is refused (the rest copied, exit 1); --replace archives it first', async ({
  from,
  to,
}) => {
  await writeSource(from);
  await writeSummary(to, 'nightly', 'collect', (s) => s.incrementItems({ processed: 1 }));
  const before = await dictOf(store(to), nightly);
  const refused = cli(['copy', '--root', from, '--to', to, '--json']);
  assert.is(refused.code, 1);
  const report = JSON.parse(refused.stdout) as Report;
  assert.is(report.copied, 2);
  assert.is(report.not_copied, 1);
  const entry = report.summaries.find((s) => s.summary === 'nightly/collect');
  assert.is(entry?.action, 'refused');
  assert.match(entry?.reason ?? '', /holds this summary .* --replace/);
  assert.equal(await dictOf(store(to), nightly), before, 'untouched');

  const replaced = cli(['copy', 'nightly', '--root', from, '--to', to, '--replace', '--json']);
  assert.is(replaced.code, 0, replaced.stderr);
  const archived = (JSON.parse(replaced.stdout) as Report).summaries[0]?.archived_as ?? '';
  assert.ok(existsSync(archived), 'the previous copy is kept');
  assert.equal(await dictOf(store(to), nightly), await dictOf(store(from), nightly));
  assert.equal(await eventsOf(store(to), nightly), await eventsOf(store(from), nightly));
});

test('a source or a target owned by a live process is refused, and nothing is written', async ({
  from,
  to,
}) => {
  await writeSource(from);
  const owner = await liveOwner(from, 'live', 'collect');
  try {
    const result = cli(['copy', 'live', '--root', from, '--to', to]);
    assert.is(result.code, 1);
    assert.match(result.stderr, /refused: live\/collect: is still owned in the source/);
    assert.match(result.stderr, String(owner.pid));
    assert.not.ok(existsSync(to), 'nothing written');
  } finally {
    await owner.stop();
  }
  const target = await liveOwner(to, 'nightly', 'collect');
  try {
    const result = cli(['copy', 'nightly', '--root', from, '--to', to, '--replace']);
    assert.is(result.code, 1);
    assert.match(result.stderr, /refused: nightly\/collect: is owned in the target/);
    assert.is((await dictOf(store(to), nightly)).items_processed, 100, 'the live run is untouched');
  } finally {
    await target.stop();
  }
});

test('a journal with an unreadable line is refused before anything is written; --skip-bad-lines copies the rest and names it', async ({
  from,
  to,
}) => {
  await writeSource(from);
  const journal = store(from).journalPathFor('nightly', 'collect');
  const lines = readFileSync(journal, 'utf8').split('\n');
  lines.splice(10, 0, 'not json');
  writeFileSync(journal, lines.join('\n'));
  const refused = cli(['copy', 'nightly', '--root', from, '--to', to]);
  assert.is(refused.code, 1);
  assert.match(refused.stderr, /1 unreadable line .* --skip-bad-lines/);
  assert.is(await store(to).read(nightly), null, 'nothing written');

  const skipped = cli(['copy', 'nightly', '--root', from, '--to', to, '--skip-bad-lines']);
  assert.is(skipped.code, 0, skipped.stderr);
  assert.match(skipped.stderr, /left out an unreadable journal line/);
  const good = [];
  for await (const r of store(from).events(nightly)) if (r.event !== null) good.push(r.event);
  assert.equal(await eventsOf(store(to), nightly), good);
  assert.is(good.length, lines.filter((l) => l !== '').length - 1);
});

test('--to naming the source under another name (a symlink) is refused, --replace or not, the source intact', async ({
  from,
  to,
}) => {
  await writeSource(from);
  symlinkSync(from, to);
  const before = await dictOf(store(from), nightly);
  const events = await eventsOf(store(from), nightly);
  const result = cli(['copy', 'nightly', '--root', from, '--to', to, '--replace']);
  assert.is(result.code, 1);
  assert.match(result.stderr, /--to is the store copied from, under another name/);
  assert.equal(await dictOf(store(from), nightly), before);
  assert.equal(await eventsOf(store(from), nightly), events);
  assert.equal(
    readdirSync(join(from, 'nightly')).filter((n) => n.includes('archived')),
    [],
  );
});

test('a run with only its journal is refused with the way to rebuild it', async ({ from, to }) => {
  await writeSource(from);
  const paths = store(from).pathsFor(nightly);
  rmSync(paths.summary);
  const result = cli(['copy', 'nightly', '--root', from, '--to', to]);
  assert.is(result.code, 1);
  assert.match(
    result.stderr,
    /no summary: rebuild it with "summary-inspect repair nightly collect"/,
  );
  assert.is(await store(to).read(nightly), null);
});

test('seed-format summaries are copied in the current format, every seed value kept', async ({
  from,
  to,
}) => {
  copySeedFixtures(from);
  const result = cli(['copy', '--root', from, '--to', to, '--json']);
  assert.is(result.code, 0, result.stderr);
  const report = JSON.parse(result.stdout) as Report;
  assert.equal(
    report.summaries.map((s) => [s.summary, s.seed_format, s.events]),
    [
      ['harvard_2024/collect', true, 0],
      ['harvard_2024/sync', true, 0],
    ],
  );
  for (const processName of ['collect', 'sync']) {
    const ref = { runName: 'harvard_2024', processName };
    const seed = JSON.parse(
      readFileSync(join(from, 'harvard_2024', `process_summary_${processName}.json`), 'utf8'),
    ) as Record<string, unknown>;
    const copy = await store(to).read(ref);
    assert.is(copy?.seedFormat, false);
    const dict = copy?.dict as unknown as Record<string, unknown>;
    for (const key of [
      'start_time',
      'end_time',
      'items_processed',
      'items_failed',
      'error_types',
      'custom_metrics',
      'is_completed',
    ]) {
      assert.equal(dict[key], seed[key], key);
    }
  }
  const list = cli(['list', '--root', to, '--json']);
  assert.is(list.code, 0, list.stderr);
});

test('bad --to is a usage error before anything is read: missing, the same store, an unparsable URL, an unknown scheme', async ({
  from,
  to,
}) => {
  await writeSource(from);
  for (const [args, pattern] of [
    [[], /copy needs --to URL/],
    [['--to', from], /--to names the store copied from/],
    [['--to', `${from}/.`], /--to names the store copied from/],
    [['--to', 'postgres://u:secret@[::1/db'], /--to: not a usable postgres:\/\/ URL/],
    [['--to', 'http://example.com/runs'], /--to: unknown store "http:\/\/"/],
  ] as const) {
    const result = cli(['copy', '--root', from, ...args]);
    assert.is(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
    assert.match(result.stderr, pattern);
    assert.not.match(result.stderr, 'secret');
  }
  assert.not.ok(existsSync(to));
  assert.equal(readdirSync(from).sort(), ['nightly', 'sync']);
});

test.run();
