import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SummaryDict } from '@process-summary/core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { endsWithin, startPipeline, tempRoot } from './_helpers.js';

const summaryPath = (root: string) => join(root, 'harvard_2024', 'process_summary_collect.json');
const ownerPath = (root: string) => join(root, 'harvard_2024', 'process_summary_collect.owner');
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
    assert.not.ok(existsSync(ownerPath(root)), 'ownership given up');

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
  assert.not.ok(existsSync(ownerPath(root)));
});

test('normal completion: the next start is a new session, not an interruption', async ({
  root,
}) => {
  const first = startPipeline(root, 'finish');
  await first.waitFor('saved');
  const end = await endsWithin(first, 20_000);
  assert.is(end.killed, false, 'the heartbeat does not keep a finished script alive');
  assert.is(end.code, 0);
  assert.not.ok(existsSync(ownerPath(root)), 'saving the completed summary released ownership');
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
  assert.not.ok(existsSync(ownerPath(root)));
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

test.run();
