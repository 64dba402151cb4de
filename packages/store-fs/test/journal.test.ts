import { execFileSync } from 'node:child_process';
import { closeSync, constants, openSync, readSync } from 'node:fs';
import { appendFile, mkdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { SummaryEvent } from '@process-summary/core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  DEFAULT_MAX_JOURNAL_LINE_BYTES,
  FileSummaryStore,
  type JournalEntry,
  type ReadJournalOptions,
  readJournal,
} from '../src/index.js';
import { FaultyFs, isJournal } from './_faulty-fs.js';
import {
  makeSummary,
  readAllEvents,
  recordingLogger,
  rejection,
  removeDir,
  tempDir,
} from './_helpers.js';

interface Ctx {
  dir: string;
  root: string;
  logger: ReturnType<typeof recordingLogger>;
  fs: FaultyFs;
  store: FileSummaryStore;
  journal: string;
}

const test = suite<Ctx>('journal');
test.before.each(async (ctx) => {
  ctx.dir = await tempDir('store-fs-journal-');
  ctx.root = join(ctx.dir, 'runs');
  ctx.logger = recordingLogger();
  ctx.fs = new FaultyFs();
  ctx.store = new FileSummaryStore({ root: ctx.root, logger: ctx.logger, fs: ctx.fs });
  ctx.journal = ctx.store.journalPathFor('harvard_2024', 'collect');
});
test.after.each(async (ctx) => {
  await removeDir(ctx.dir);
});

async function entries(ctx: Ctx, options: ReadJournalOptions = {}): Promise<JournalEntry[]> {
  const all: JournalEntry[] = [];
  for await (const entry of ctx.store.readJournal(
    { runName: 'harvard_2024', processName: 'collect' },
    options,
  ))
    all.push(entry);
  return all;
}

const progress = (message: string, n = 1): SummaryEvent => ({
  type: 'progress',
  timestamp: 1_750_000_000 + n,
  elapsed_seconds: n,
  message,
  items_processed: n,
  items_successful: n,
  items_failed: 0,
});
const line = (event: SummaryEvent) => `${JSON.stringify(event)}\n`;

/**
 * Saves a summary whose only new event is the progress update `message`, through `store`
 * (a fresh store stands for a process started after a crash).
 */
async function saveWithUpdate(ctx: Ctx, message: string, store = ctx.store): Promise<void> {
  const { summary } = makeSummary();
  summary.takeEvents();
  summary.addProgressUpdate(message);
  await store.save(summary);
}

const restartedStore = (ctx: Ctx) => new FileSummaryStore({ root: ctx.root, logger: ctx.logger });

test('every progress update, error, session start and end goes to the journal, one line each', async (ctx) => {
  const { summary } = makeSummary();
  summary.addProgressUpdate('one', { batch: 1 });
  summary.addError('NetworkError', 'timeout');
  summary.endProcess();
  await ctx.store.save(summary);
  const text = await readFile(ctx.journal, 'utf8');
  const lines = text.split('\n');
  assert.is(lines.pop(), '', 'ends with a newline');
  assert.equal(
    lines.map((l) => JSON.parse(l).type),
    ['session_start', 'progress', 'error', 'session_end'],
  );
  assert.is(JSON.parse(lines[1] as string).batch, 1);
});

test('a save with no new events does not touch the journal', async (ctx) => {
  const { summary } = makeSummary();
  await ctx.store.save(summary);
  const size = (await stat(ctx.journal)).size;
  ctx.fs.calls.length = 0;
  await ctx.store.save(summary);
  assert.is((await stat(ctx.journal)).size, size);
  assert.equal(ctx.fs.callsOf('open', isJournal), []);
});

test('the journal is made durable (fdatasync) before the summary is renamed', async (ctx) => {
  await saveWithUpdate(ctx, 'x');
  const order = ctx.fs.calls
    .filter(
      (c) =>
        (c.op === 'datasync' && isJournal(c.path)) ||
        (c.op === 'rename' && c.detail?.endsWith('.json')),
    )
    .map((c) => c.op);
  assert.equal(order, ['datasync', 'rename']);
});

test('a torn last line is truncated away before the next append, with a warning', async (ctx) => {
  await saveWithUpdate(ctx, 'first');
  const good = await readFile(ctx.journal);
  // A crash mid-append: a partial line ending in half of a two-byte UTF-8 character.
  await appendFile(
    ctx.journal,
    Buffer.concat([Buffer.from('{"type":"progress","message":"caf'), Buffer.from([0xc3])]),
  );
  const beforeRepair = await entries(ctx);
  assert.is(beforeRepair.at(-1)?.kind, 'torn', 'the reader reports the torn tail');

  const store = new FileSummaryStore({ root: ctx.root, logger: ctx.logger });
  const { summary } = makeSummary();
  summary.takeEvents();
  summary.addProgressUpdate('second');
  await store.save(summary);
  const after = await readFile(ctx.journal);
  assert.equal(after.subarray(0, good.length), good, 'the good lines are untouched');
  const events = await readAllEvents(ctx.store, 'harvard_2024', 'collect');
  assert.equal(
    events.map((e) => (e.type === 'progress' ? e.message : e.type)),
    ['first', 'second'],
  );
  assert.ok((await entries(ctx)).every((e) => e.kind === 'event'));
  const warning = ctx.logger.lines.find((l) => l.level === 'warn');
  assert.match(warning?.message ?? '', /dropped 34 bytes/);
});

test('a store kept across saves checks the tail again when another writer appended meanwhile', async (ctx) => {
  await saveWithUpdate(ctx, 'first');
  // Another process (another store of the root) appends whole lines: nothing to repair.
  await saveWithUpdate(ctx, 'other', restartedStore(ctx));
  await saveWithUpdate(ctx, 'second');
  assert.ok((await entries(ctx)).every((e) => e.kind === 'event'));
  assert.is(ctx.logger.lines.filter((l) => l.level === 'warn').length, 0);
  // Then it dies mid-append: this store, which checked the tail long ago, must not append
  // after the torn line (its first line would be glued to it and read as corrupt).
  await appendFile(ctx.journal, '{"type":"progress","message":"tor');
  await saveWithUpdate(ctx, 'third');
  const all = await entries(ctx);
  assert.ok(
    all.every((e) => e.kind === 'event'),
    'every line whole',
  );
  const events = await readAllEvents(ctx.store, 'harvard_2024', 'collect');
  assert.equal(
    events.map((e) => (e.type === 'progress' ? e.message : e.type)),
    ['first', 'other', 'second', 'third'],
  );
  assert.match(ctx.logger.lines.find((l) => l.level === 'warn')?.message ?? '', /dropped 33 bytes/);
});

test('a NUL-filled tail (a crash after the size grew, before the data) is dropped', async (ctx) => {
  await saveWithUpdate(ctx, 'first');
  await appendFile(ctx.journal, Buffer.alloc(4096));
  await saveWithUpdate(ctx, 'second', restartedStore(ctx));
  const all = await entries(ctx);
  assert.ok(all.every((e) => e.kind === 'event'));
  assert.is(all.length, 2);
});

test('a complete last line is never dropped, however long or whatever it holds: async and sync repairs apply one rule', async (ctx) => {
  const cases: [string, string][] = [
    // An acknowledged line longer than the reader's default line limit (16 MiB).
    ['long', line(progress('x'.repeat(DEFAULT_MAX_JOURNAL_LINE_BYTES + 1024)))],
    // A complete line that does not parse: the reader reports it, the repair leaves it.
    ['invalid', '{"type":"progress","mess\n'],
  ];
  for (const [name, last] of cases) {
    for (const mode of ['async', 'sync'] as const) {
      await removeDir(ctx.root);
      await saveWithUpdate(ctx, 'first', restartedStore(ctx));
      await appendFile(ctx.journal, last);
      const before = await readFile(ctx.journal);
      const store = restartedStore(ctx);
      const { summary } = makeSummary();
      summary.takeEvents();
      summary.addProgressUpdate('second');
      if (mode === 'async') await store.save(summary);
      else store.saveSync(summary);
      const after = await readFile(ctx.journal);
      assert.ok(
        after.length > before.length && after.subarray(0, before.length).equals(before),
        `${name} last line, ${mode} repair: every byte before the new append kept`,
      );
    }
  }
});

test('a corrupt line in the middle is reported with its line number, never skipped silently', async (ctx) => {
  await saveWithUpdate(ctx, 'first');
  await appendFile(ctx.journal, 'not json at all\n[1,2]\n');
  await appendFile(ctx.journal, line(progress('after')));
  await saveWithUpdate(ctx, 'last', restartedStore(ctx));
  const all = await entries(ctx);
  assert.equal(
    all.map((e) => e.kind),
    ['event', 'corrupt', 'corrupt', 'event', 'event'],
  );
  const bad = all[1];
  assert.ok(bad?.kind === 'corrupt');
  assert.is(bad.error.code, 'E_CORRUPT_EVENT');
  assert.is(bad.line, 2);
  assert.match(bad.error.message, /line 2 .*not valid JSON/);
  assert.match((all[2] as { error: Error }).error.message, /not a JSON object/);
  assert.ok(bad.error.message.includes(ctx.journal));
  const text = await readFile(ctx.journal, 'utf8');
  assert.ok(text.includes('not json at all\n'), 'the next append left it in place');
});

test('reading streams: the first event arrives after one chunk, whatever the size', async (ctx) => {
  await saveWithUpdate(ctx, 'first');
  const bulk = Array.from({ length: 20_000 }, (_, i) => line(progress(`bulk ${i}`, i))).join('');
  await appendFile(ctx.journal, bulk);
  const size = (await stat(ctx.journal)).size;
  ctx.fs.calls.length = 0;
  const reader = readJournal(ctx.fs, ctx.journal, { chunkBytes: 4096 });
  const first = await reader.next();
  assert.is(first.value?.kind, 'event');
  const bytesRead = ctx.fs.callsOf('read').reduce((sum, c) => sum + Number(c.detail), 0);
  assert.ok(bytesRead <= 4096, `read ${bytesRead} of ${size} bytes before the first event`);
  let count = 1;
  for await (const entry of reader) {
    assert.is(entry.kind, 'event');
    count += 1;
  }
  assert.is(count, 1 + 20_000);
});

test('lines split across chunks, multi-byte characters included, read back intact', async (ctx) => {
  const messages = ['café', '日本語のメッセージ', '🙂 emoji', 'x'.repeat(300)];
  for (const m of messages) await saveWithUpdate(ctx, m);
  for (const chunkBytes of [1, 3, 7, 64, 65_536]) {
    const got = (await entries(ctx, { chunkBytes })).flatMap((e) =>
      e.kind === 'event' && e.event.type === 'progress' ? [e.event.message] : [],
    );
    assert.equal(got, messages, `chunk of ${chunkBytes}`);
  }
});

test('a line over maxLineBytes is reported as corrupt without being held', async (ctx) => {
  await saveWithUpdate(ctx, 'first');
  await appendFile(ctx.journal, `${'z'.repeat(10_000)}\n`);
  await saveWithUpdate(ctx, 'last');
  const all = await entries(ctx, { maxLineBytes: 1000, chunkBytes: 512 });
  assert.equal(
    all.map((e) => e.kind),
    ['event', 'corrupt', 'event'],
  );
  const bad = all[1];
  assert.ok(bad?.kind === 'corrupt');
  assert.match(bad.error.message, /over the limit of 1000/);
});

test('each entry reports where its line starts and where to resume after it', async (ctx) => {
  await saveWithUpdate(ctx, 'first');
  await appendFile(ctx.journal, 'not json\n');
  await saveWithUpdate(ctx, 'café'); // multi-byte: offsets count bytes, not characters
  await appendFile(ctx.journal, '{"type":"progr'); // an append in progress
  const text = await readFile(ctx.journal);
  for (const chunkBytes of [1, 5, 65_536]) {
    const all = await entries(ctx, { chunkBytes });
    assert.equal(
      all.map((e) => e.kind),
      ['event', 'corrupt', 'event', 'torn'],
    );
    let expectedStart = 0;
    for (const entry of all) {
      assert.is(entry.offset, expectedStart, `line ${entry.line} starts where the last ended`);
      if (entry.kind === 'torn') {
        assert.is(entry.nextOffset, entry.offset, 'a torn line is read again once complete');
      } else {
        assert.is(text[entry.nextOffset - 1], 0x0a, 'resumes just after the newline');
      }
      expectedStart = entry.nextOffset;
    }
  }
});

test("reading resumes from an entry's nextOffset with the lines appended since", async (ctx) => {
  await saveWithUpdate(ctx, 'first');
  await saveWithUpdate(ctx, 'second');
  const before = await entries(ctx);
  const last = before.at(-1);
  assert.ok(last?.kind === 'event');
  const resumeAt = { startOffset: last.nextOffset, startLine: last.line + 1 };
  assert.equal(await entries(ctx, resumeAt), [], 'nothing new yet');

  await saveWithUpdate(ctx, 'third');
  await appendFile(ctx.journal, 'garbage\n');
  const after = await entries(ctx, resumeAt);
  assert.equal(
    after.map((e) =>
      e.kind === 'event' && e.event.type === 'progress' ? e.event.message : e.kind,
    ),
    ['third', 'corrupt'],
  );
  assert.equal(
    after.map((e) => e.line),
    [3, 4],
    'line numbers stay those of the whole journal',
  );
  assert.match((after[1] as { error: Error }).error.message, /line 4 /);
  const whole = await entries(ctx);
  assert.equal(whole.slice(2), after, 'the same entries as a read from the start');
});

test('a start offset in the middle of a line or past the end is refused with E_INVALID_OFFSET', async (ctx) => {
  await saveWithUpdate(ctx, 'first');
  await saveWithUpdate(ctx, 'second');
  const [first] = await entries(ctx);
  assert.ok(first);
  const size = (await stat(ctx.journal)).size;
  for (const startOffset of [first.nextOffset - 1, first.nextOffset + 1, size + 1]) {
    await rejection(entries(ctx, { startOffset }), 'E_INVALID_OFFSET');
  }
  const err = await rejection(entries(ctx, { startOffset: 3 }), 'E_INVALID_OFFSET');
  assert.match(err.message, /middle of a line/);
  const truncated = await rejection(entries(ctx, { startOffset: size + 10 }), 'E_INVALID_OFFSET');
  assert.match(truncated.message, /truncated or replaced/);
  assert.equal(await entries(ctx, { startOffset: size }), [], 'the end itself is a line start');
  await rejection(entries(ctx, { startOffset: -1 }), 'E_INVALID_ARGUMENT');
  await rejection(entries(ctx, { startOffset: 1.5 }), 'E_INVALID_ARGUMENT');
  await rejection(entries(ctx, { startLine: 0 }), 'E_INVALID_ARGUMENT');
});

test('an absent journal yields nothing', async (ctx) => {
  assert.equal(await entries(ctx), []);
});

test('a symbolic link where the journal belongs is refused, never followed out of the root', async (ctx) => {
  const outside = join(ctx.dir, 'outside.jsonl');
  await writeFile(outside, '');
  await mkdir(join(ctx.root, 'harvard_2024'), { recursive: true });
  await symlink(outside, ctx.journal);
  const { summary } = makeSummary();
  await rejection(ctx.store.save(summary), 'E_IO');
  assert.is(await readFile(outside, 'utf8'), '', 'nothing appended outside the root');
  assert.ok(summary.pendingEventCount > 0, 'the events are kept for the next save');
  await rejection(entries(ctx), 'E_IO');
});

test('a FIFO where the journal belongs fails at once, never waits for a reader or writer', async (ctx) => {
  await mkdir(join(ctx.root, 'harvard_2024'), { recursive: true });
  execFileSync('mkfifo', [ctx.journal]);
  await rejection(ctx.store.save(makeSummary().summary), 'E_IO');
  const err = await rejection(entries(ctx), 'E_IO');
  assert.match(err.message, /not a regular file/);
});

test('a FIFO with a reader, a socket or a directory where the journal belongs: refused (E_IO), nothing sent to it, async and sync', async (ctx) => {
  const dir = join(ctx.root, 'harvard_2024');
  await mkdir(dir, { recursive: true });
  execFileSync('mkfifo', [ctx.journal]);
  // A reader holds the FIFO open: a non-blocking open for writing would now succeed.
  const reader = openSync(ctx.journal, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    for (const mode of ['async', 'sync'] as const) {
      const store = restartedStore(ctx);
      const { summary } = makeSummary();
      if (mode === 'async') await rejection(store.save(summary), 'E_IO');
      else
        assert.throws(
          () => store.saveSync(summary),
          (e: { code?: string }) => e.code === 'E_IO',
        );
      assert.ok(summary.pendingEventCount > 0, `${mode}: the events are kept for the next save`);
      let received = 0;
      try {
        received = readSync(reader, Buffer.alloc(65_536));
      } catch (err) {
        assert.is((err as { code?: string }).code, 'EAGAIN', 'nothing to read');
      }
      assert.is(received, 0, `${mode}: no event written into the pipe`);
    }
  } finally {
    closeSync(reader);
  }
  await rm(ctx.journal);
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(ctx.journal, resolve));
  try {
    await rejection(restartedStore(ctx).save(makeSummary().summary), 'E_IO');
    assert.throws(
      () => restartedStore(ctx).saveSync(makeSummary().summary),
      (e: { code?: string }) => e.code === 'E_IO',
    );
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
  await rm(ctx.journal, { force: true });
  await mkdir(ctx.journal);
  await rejection(restartedStore(ctx).save(makeSummary().summary), 'E_IO');
  assert.throws(
    () => restartedStore(ctx).saveSync(makeSummary().summary),
    (e: { code?: string }) => e.code === 'E_IO',
  );
});

test.run();
