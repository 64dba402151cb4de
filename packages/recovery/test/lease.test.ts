import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { systemClock } from '@process-summary/core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  acquireOwnership,
  currentProcess,
  type OwnerRecord,
  parseStartTime,
  writeOwnerRecordSync,
} from '../src/index.js';
import { startPipeline, tempRoot } from './_helpers.js';

const options = {
  runName: 'harvard_2024',
  processName: 'collect',
  clock: systemClock,
  staleAfterSeconds: 300,
};

function record(overrides: Partial<OwnerRecord>): OwnerRecord {
  const me = currentProcess();
  const now = systemClock.now();
  return {
    version: 1,
    run_name: 'harvard_2024',
    process_name: 'collect',
    host: me.host,
    boot_id: me.bootId,
    pid: me.pid,
    pid_start: me.pidStart,
    token: 'f'.repeat(24),
    since: now,
    heartbeat: now,
    ...overrides,
  };
}

async function refusedWith(
  path: string,
): Promise<{ code?: string; message: string; owner?: unknown }> {
  try {
    const { lease } = await acquireOwnership(path, options);
    await lease.release();
  } catch (err) {
    return err as { code?: string; message: string };
  }
  assert.unreachable('expected E_CONCURRENT_RUN');
  return { message: '' };
}

const test = suite<{ root: string; cleanup: () => void; path: string }>(
  'one owner per (run, process)',
);
test.before.each((ctx) => {
  Object.assign(ctx, tempRoot());
  mkdirSync(join(ctx.root, 'harvard_2024'), { recursive: true });
  ctx.path = join(ctx.root, 'harvard_2024', 'process_summary_collect.owner');
});
test.after.each((ctx) => ctx.cleanup());

test('the record names host, boot id, pid, the pid start time, a token and times', async ({
  path,
}) => {
  const { lease, previous } = await acquireOwnership(path, options);
  assert.is(previous, null);
  const onDisk = JSON.parse(readFileSync(path, 'utf8')) as OwnerRecord;
  const me = currentProcess();
  assert.is(onDisk.pid, process.pid);
  assert.is(onDisk.host, me.host);
  assert.is(onDisk.boot_id, me.bootId);
  assert.ok(onDisk.pid_start !== null && /^\d+$/.test(onDisk.pid_start));
  assert.match(onDisk.token, /^[0-9a-f]{24}$/);
  assert.ok(await lease.isHeld());
  await lease.release();
  assert.not.ok(existsSync(path));
});

test('a live owner on this host is refused with its pid, host and start', async ({ path }) => {
  writeOwnerRecordSync(path, record({}));
  const err = await refusedWith(path);
  assert.is(err.code, 'E_CONCURRENT_RUN');
  assert.match(err.message, `pid ${process.pid} on ${currentProcess().host} since `);
  assert.equal((err.owner as { pid: number }).pid, process.pid);
});

test('a live pid with another start time (pid reuse) is taken over as a crash', async ({
  path,
}) => {
  writeOwnerRecordSync(path, record({ pid_start: '1' }));
  const { lease, previous } = await acquireOwnership(path, options);
  assert.is(previous?.reason, 'crash');
  assert.match(previous?.detail ?? '', 'now belongs to another process');
  await lease.release();
});

test('a dead pid on this host is taken over as a crash', async ({ path }) => {
  const child = spawn(process.execPath, ['-e', '0']);
  const pid = child.pid as number;
  await new Promise((resolve) => child.on('exit', resolve));
  writeOwnerRecordSync(path, record({ pid, pid_start: '12345' }));
  const { lease, previous } = await acquireOwnership(path, options);
  assert.is(previous?.reason, 'crash');
  assert.is(previous?.detail, `owner pid ${pid} on ${currentProcess().host} is gone`);
  await lease.release();
});

test('an owner recorded under another boot id is taken over as a reboot', async ({ path }) => {
  if (currentProcess().bootId === null) return; // no /proc: nothing to compare
  writeOwnerRecordSync(path, record({ boot_id: '00000000-0000-0000-0000-000000000000' }));
  const { lease, previous } = await acquireOwnership(path, options);
  assert.is(previous?.reason, 'reboot');
  await lease.release();
});

test('another host with a fresh heartbeat is refused; with an old one it is taken over', async ({
  path,
}) => {
  writeOwnerRecordSync(path, record({ host: 'other-host.example', pid: 1 }));
  const refused = await refusedWith(path);
  assert.is(refused.code, 'E_CONCURRENT_RUN');
  assert.match(refused.message, 'pid 1 on other-host.example');
  const old = systemClock.now() - 3600;
  const text = readFileSync(path, 'utf8');
  const stale = { ...(JSON.parse(text) as OwnerRecord), heartbeat: old, since: old };
  const { rmSync } = await import('node:fs');
  rmSync(path);
  writeOwnerRecordSync(path, stale);
  utimesSync(path, old, old);
  const { lease, previous } = await acquireOwnership(path, options);
  assert.is(previous?.reason, 'stale');
  assert.match(
    previous?.detail ?? '',
    /no heartbeat from pid 1 on other-host\.example for 3\d{3} seconds/,
  );
  await lease.release();
});

test('a heartbeat moves the mtime, so another host sees the owner alive', async ({ path }) => {
  const { lease } = await acquireOwnership(path, options);
  const old = systemClock.now() - 3600;
  utimesSync(path, old, old);
  await lease.heartbeat();
  const { statSync } = await import('node:fs');
  assert.ok(statSync(path).mtimeMs / 1000 > old + 3000);
  await lease.release();
});

test('an owner whose record was replaced learns it: E_LEASE_LOST, and release leaves the new record', async ({
  path,
}) => {
  const { lease } = await acquireOwnership(path, options);
  const { rmSync } = await import('node:fs');
  rmSync(path);
  writeOwnerRecordSync(path, record({ token: 'a'.repeat(24), pid: 1, host: 'new-owner' }));
  assert.is(await lease.isHeld(), false);
  try {
    await lease.heartbeat();
    assert.unreachable();
  } catch (err) {
    assert.is((err as { code?: string }).code, 'E_LEASE_LOST');
    assert.match((err as Error).message, 'pid 1 on new-owner');
  }
  await lease.release();
  assert.is((JSON.parse(readFileSync(path, 'utf8')) as OwnerRecord).token, 'a'.repeat(24));
});

test('8 processes racing to take over one stale owner: exactly one wins', async ({
  root,
  path,
}) => {
  const old = systemClock.now() - 3600;
  writeOwnerRecordSync(path, record({ host: 'gone-host', pid: 1, heartbeat: old, since: old }));
  utimesSync(path, old, old);
  // Each racer that wins holds ownership until killed, so a late racer cannot win after it.
  const racers = Array.from({ length: 8 }, () => startPipeline(root, 'hold'));
  const outcomes = await Promise.all(
    racers.map((r) =>
      Promise.race([r.waitFor('holding'), r.waitFor('refused')]).catch(() => ({ event: 'died' })),
    ),
  );
  for (const r of racers) r.child.kill('SIGKILL');
  await Promise.all(racers.map((r) => r.exited));
  const winners = outcomes.filter((m) => m.event === 'holding');
  const refused = outcomes.filter((m) => m.event === 'refused');
  assert.is(winners.length, 1, JSON.stringify(outcomes));
  assert.is(refused.length, 7);
  for (const r of refused) assert.is(r.code, 'E_CONCURRENT_RUN');
  const interrupted = racers.flatMap((r) => r.messages).find((m) => m.event === 'started');
  assert.is(interrupted?.interruptions, 0, 'no summary existed: nothing to count');
});

test('the start time is field 22 of /proc/<pid>/stat, even with ") " in the command name', () => {
  const fields = Array.from({ length: 50 }, (_, i) => String(i + 3));
  assert.is(parseStartTime(`1234 (evil) name) ${fields.join(' ')}`), '22');
  assert.is(parseStartTime('garbage'), null);
});

test.run();
