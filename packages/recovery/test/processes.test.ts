import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SummaryDict } from '@process-summary/core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { endsWithin, type Pipeline, startPipeline, tempRoot } from './_helpers.js';
import { ownerPathOf, ownerState, takeOwnershipAway } from './_owner.js';

const summaryPath = (root: string) => join(root, 'harvard_2024', 'process_summary_collect.json');
const readSummary = (root: string) =>
  JSON.parse(readFileSync(summaryPath(root), 'utf8')) as SummaryDict;

const test = suite<{ root: string; cleanup: () => void }>('pipeline processes');
test.before.each((ctx) => Object.assign(ctx, tempRoot()));
test.after.each((ctx) => ctx.cleanup());

test('kill -9 mid-run: the next start reports a crash and keeps every acknowledged count', async ({
  root,
}) => {
  const first = startPipeline(root, 'loop');
  await first.waitFor('started');
  await first.waitFor('saved');
  await new Promise((resolve) => setTimeout(resolve, 50));
  first.child.kill('SIGKILL');
  await first.exited;
  const acknowledged = Math.max(
    ...first.messages.filter((m) => m.event === 'saved').map((m) => m.items as number),
  );
  const second = startPipeline(root, 'finish');
  const started = await second.waitFor('started');
  assert.ok((started.items as number) >= acknowledged, `${started.items} < ${acknowledged}`);
  assert.is(started.interruptions, 1);
  await second.waitFor('saved');
  await endsWithin(second, 20_000);
  const d = readSummary(root);
  assert.is(d.sessions[0]?.end_reason, 'crash');
  assert.match(
    d.progress_updates.map((u) => u.message).join('\n'),
    /Interruption detected: owner pid \d+ on .+ is gone\nProcess resumed after interruption/,
  );
  assert.is(d.items_processed, (started.items as number) + 20, 'acknowledged plus new work');
  assert.is(d.status, 'completed');
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  test(`${signal}: the file says interrupted by ${signal} and the process dies by that signal`, async ({
    root,
  }) => {
    const p = startPipeline(root, 'hold');
    await p.waitFor('holding');
    p.child.kill(signal);
    const { code, signal: by } = await endsWithin(p, 20_000);
    assert.is(by, signal, `exit code ${code}, stderr: ${p.stderr()}`);
    const d = readSummary(root);
    assert.is(d.status, 'interrupted');
    assert.is(d.sessions[0]?.end_reason, 'signal');
    assert.is(d.sessions[0]?.signal, signal);
    assert.is(d.items_processed, 5);
    assert.is(await ownerState(root), 'none', 'ownership given up');

    const next = startPipeline(root, 'finish');
    const started = await next.waitFor('started');
    assert.is(started.interruptions, 1);
    await endsWithin(next, 20_000);
    const after = readSummary(root);
    assert.ok(
      after.progress_updates.some(
        (u) => u.message === `Interruption detected: stopped by ${signal}`,
      ),
    );
  });
}

test('SIGINT with an application handler: recorded, and the application decides the exit', async ({
  root,
}) => {
  const p = startPipeline(root, 'hold-with-handler');
  await p.waitFor('holding');
  p.child.kill('SIGINT');
  const { code, signal } = await endsWithin(p, 20_000);
  assert.is(signal, null);
  assert.is(code, 42);
  assert.ok(p.messages.some((m) => m.event === 'app-handler'));
  const d = readSummary(root);
  assert.is(d.status, 'interrupted');
  assert.is(d.sessions[0]?.signal, 'SIGINT');
  assert.is(await ownerState(root), 'none');
});

test('normal completion: the next start is a new session, not an interruption', async ({
  root,
}) => {
  const first = startPipeline(root, 'finish');
  await first.waitFor('saved');
  const end = await endsWithin(first, 20_000);
  assert.is(end.killed, false, 'the heartbeat does not keep a finished script alive');
  assert.is(end.code, 0);
  assert.is(await ownerState(root), 'none', 'saving the completed summary released ownership');
  const second = startPipeline(root, 'finish');
  const started = await second.waitFor('started');
  assert.is(started.interruptions, 0);
  assert.is(started.sessions, 2);
  await endsWithin(second, 20_000);
  const d = readSummary(root);
  assert.is(d.interruption_count, 0);
  assert.equal(
    d.sessions.map((s) => s.end_reason),
    ['completed', 'completed'],
  );
  assert.is(d.items_processed, 40);
});

test('an exit without endProcess is recorded', async ({ root }) => {
  const p = startPipeline(root, 'no-end');
  await p.waitFor('saved');
  const end = await endsWithin(p, 20_000);
  assert.is(end.killed, false);
  assert.is(end.code, 0);
  const d = readSummary(root);
  assert.is(d.status, 'interrupted');
  assert.is(d.sessions[0]?.end_reason, 'exit');
  assert.is(await ownerState(root), 'none', 'given up at exit');
});

test('two processes started together: exactly one runs, the other is told who owns the run', async ({
  root,
}) => {
  const a = startPipeline(root, 'hold');
  const b = startPipeline(root, 'hold');
  // Each process either holds the run or is refused; wait for both to say which.
  const outcomeOf = (p: typeof a) =>
    Promise.race([p.waitFor('holding'), p.waitFor('refused')]).then((m) => m.event);
  const [aOutcome, bOutcome] = await Promise.all([outcomeOf(a), outcomeOf(b)]);
  assert.equal([aOutcome, bOutcome].sort(), ['holding', 'refused']);
  const [winner, loser] = aOutcome === 'holding' ? [a, b] : [b, a];
  const refused = loser.messages.find((m) => m.event === 'refused') as Record<string, unknown>;
  assert.is(refused.code, 'E_CONCURRENT_RUN');
  const started = winner.messages.find((m) => m.event === 'started') as Record<string, unknown>;
  assert.equal((refused.owner as { pid: number }).pid, started.pid);
  assert.match(refused.message as string, `pid ${started.pid} on `);
  assert.is((await loser.exited).code, 3);
  winner.child.kill('SIGKILL');
  await winner.exited;
});

test('a store that cannot save synchronously: SIGTERM is saved at the signal before the process dies', async ({
  root,
}) => {
  const p = startPipeline(root, 'hold', { asyncOnly: true });
  await p.waitFor('holding');
  p.child.kill('SIGTERM');
  const { signal } = await endsWithin(p, 20_000);
  assert.is(signal, 'SIGTERM', p.stderr());
  const d = readSummary(root);
  assert.is(d.status, 'interrupted');
  assert.is(d.sessions[0]?.signal, 'SIGTERM');
  assert.is(
    await ownerState(root),
    'none',
    'released (asynchronously) before the signal was raised again',
  );
});

test('a store that cannot save synchronously: a script that runs to its end without endProcess is saved as an exit and released before the process exits', async ({
  root,
}) => {
  const p = startPipeline(root, 'no-end', { asyncOnly: true });
  await p.waitFor('saved');
  const end = await endsWithin(p, 20_000);
  assert.is(end.code, 0, p.stderr());
  assert.not.match(p.stderr(), 'cannot save synchronously');
  const d = readSummary(root);
  assert.is(d.status, 'interrupted');
  assert.is(d.sessions[0]?.end_reason, 'exit');
  assert.is(d.items_processed, 3);
  assert.is(await ownerState(root), 'none', 'released before the exit');
  const next = startPipeline(root, 'finish');
  assert.is((await next.waitFor('started')).interruptions, 1);
  await endsWithin(next, 20_000);
  assert.ok(
    readSummary(root).progress_updates.some(
      (u) => u.message === 'Interruption detected: the process exited without ending the summary',
    ),
  );
});

test('a store that cannot save synchronously: process.exit without endProcess is classified by the next session as a crash, not claimed as an exit', async ({
  root,
}) => {
  const p = startPipeline(root, 'no-end-exit', { asyncOnly: true });
  await p.waitFor('saved');
  const end = await endsWithin(p, 20_000);
  assert.is(end.code, 0);
  assert.match(p.stderr(), 'cannot save synchronously');
  assert.is(readSummary(root).status, 'running', 'the state of the last save stands');
  const next = startPipeline(root, 'finish');
  const started = await next.waitFor('started');
  assert.is(started.interruptions, 1);
  await endsWithin(next, 20_000);
  const d = readSummary(root);
  assert.is(d.sessions[0]?.end_reason, 'crash');
  assert.match(
    d.progress_updates.map((u) => u.message).join('\n'),
    /Interruption detected: owner pid \d+ on .+ is gone/,
  );
});

test.run();

const review = suite<{ root: string; cleanup: () => void; children: Pipeline[] }>(
  'pipeline processes: edge cases',
);
review.before.each((ctx) => {
  Object.assign(ctx, tempRoot());
  ctx.children = [];
});
review.after.each(async (ctx) => {
  for (const child of ctx.children) child.child.kill('SIGKILL');
  await Promise.all(ctx.children.map((c) => c.exited));
  ctx.cleanup();
});

review(
  'two summaries in one process: SIGTERM still ends it, and both record the signal',
  async (ctx) => {
    const p = startPipeline(ctx.root, 'two-summaries');
    ctx.children.push(p);
    await p.waitFor('holding');
    p.child.kill('SIGTERM');
    const { signal } = await endsWithin(p, 20_000);
    assert.is(signal, 'SIGTERM', p.stderr());
    const first = readSummary(ctx.root);
    const second = JSON.parse(
      readFileSync(join(ctx.root, 'harvard_2024', 'process_summary_collect_second.json'), 'utf8'),
    ) as SummaryDict;
    for (const d of [first, second]) {
      assert.is(d.status, 'interrupted');
      assert.is(d.sessions[0]?.signal, 'SIGTERM');
    }
  },
);

review('an owner that lost its record does not overwrite the new owner at SIGTERM', async (ctx) => {
  const p = startPipeline(ctx.root, 'hold');
  ctx.children.push(p);
  await p.waitFor('holding');
  takeOwnershipAway(ctx.root);
  const before = readFileSync(summaryPath(ctx.root), 'utf8');
  p.child.kill('SIGTERM');
  const { signal } = await endsWithin(p, 20_000);
  assert.is(signal, 'SIGTERM');
  assert.is(
    readFileSync(summaryPath(ctx.root), 'utf8'),
    before,
    'the file is left to its new owner',
  );
  assert.match(p.stderr(), 'pid 1 on usurper');
  assert.match(readFileSync(ownerPathOf(ctx.root), 'utf8'), 'usurper');
});

review('an owner that lost its record does not overwrite the new owner at exit', async (ctx) => {
  const p = startPipeline(ctx.root, 'exit-on-file');
  ctx.children.push(p);
  await p.waitFor('holding');
  takeOwnershipAway(ctx.root);
  const before = readFileSync(summaryPath(ctx.root), 'utf8');
  writeFileSync(join(ctx.root, 'go'), '');
  const { code } = await endsWithin(p, 20_000);
  assert.is(code, 0);
  assert.is(readFileSync(summaryPath(ctx.root), 'utf8'), before);
  assert.match(p.stderr(), 'pid 1 on usurper');
});

review(
  'an application handler that keeps running: nothing is marked, a later kill -9 is a crash',
  async (ctx) => {
    const p = startPipeline(ctx.root, 'hold-with-handler-no-exit');
    ctx.children.push(p);
    await p.waitFor('holding');
    p.child.kill('SIGINT');
    await p.waitFor('app-handler');
    assert.is(readSummary(ctx.root).status, 'running', 'the application decides: still running');
    p.child.kill('SIGKILL');
    await p.exited;
    const next = startPipeline(ctx.root, 'finish');
    ctx.children.push(next);
    await endsWithin(next, 20_000);
    assert.is(readSummary(ctx.root).sessions[0]?.end_reason, 'crash');
  },
);

review('a file from a newer version is refused, not overwritten', async (ctx) => {
  const dir = join(ctx.root, 'harvard_2024');
  mkdirSync(dir, { recursive: true });
  const future = JSON.stringify({ schema_version: 99, items_processed: 77777 });
  writeFileSync(summaryPath(ctx.root), future);
  const p = startPipeline(ctx.root, 'finish');
  ctx.children.push(p);
  const refused = await p.waitFor('refused');
  assert.is(refused.code, 'E_UNSUPPORTED_VERSION');
  assert.is(readFileSync(summaryPath(ctx.root), 'utf8'), future);
  assert.is(await ownerState(ctx.root), 'none', 'ownership given back');
});

review.run();
