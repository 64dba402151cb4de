import { spawn } from 'node:child_process';
import { readFileSync, rmSync, statSync, utimesSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SummaryRef } from '@process-summary/core';
import { canUnshare, inNamespace, startChild, waitUntil } from '@process-summary/test-kit';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { FileSummaryStore } from '../src/index.js';
import {
  currentOwner,
  type OwnerRecord,
  parseStartTime,
  writeOwnerRecordSync,
} from '../src/owner.js';
import { recordingLogger, removeDir, tempDir } from './_helpers.js';

const REF: SummaryRef = { runName: 'harvard_2024', processName: 'collect' };
const holder = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'hold-lease.mjs');
const cycler = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'cycle-lease.mjs');

/** A record of this very process (alive), with `overrides`. */
function record(overrides: Partial<OwnerRecord>): OwnerRecord {
  const me = currentOwner();
  const now = Date.now() / 1000;
  return {
    version: 2,
    run_name: REF.runName,
    process_name: REF.processName,
    worker: null,
    host: me.host,
    boot_id: me.bootId,
    pid_namespace: me.pidNamespace,
    pid: me.pid,
    pid_start: me.pidStart,
    token: 'f'.repeat(24),
    epoch: 1,
    since: now,
    heartbeat: now,
    fenced: false,
    released: false,
    ...overrides,
  };
}

type Ctx = { dir: string; store: FileSummaryStore; owner: string };
const test = suite<Ctx>('owner records: one owner per summary');
test.before.each(async (ctx) => {
  ctx.dir = await tempDir('store-fs-owner-');
  ctx.store = new FileSummaryStore({ root: ctx.dir, logger: recordingLogger() });
  ctx.owner = ctx.store.pathsFor(REF).owner;
  await ctx.store.acquire(REF).then(({ lease }) => ctx.store.release(lease)); // the run dir
  rmSync(ctx.owner);
});
test.after.each((ctx) => removeDir(ctx.dir));

/** Writes a record posing as another owner. */
function pose(ctx: Ctx, overrides: Partial<OwnerRecord>, mtime?: number): void {
  writeOwnerRecordSync(ctx.owner, record(overrides));
  if (mtime !== undefined) utimesSync(ctx.owner, mtime, mtime);
}

async function refused(ctx: Ctx, staleAfterSeconds = 300) {
  try {
    const { lease } = await ctx.store.acquire(REF, { staleAfterSeconds });
    await ctx.store.release(lease);
  } catch (err) {
    return err as { code?: string; message: string; owner?: { pid: number } };
  }
  assert.unreachable('expected E_CONCURRENT_RUN');
  return { message: '' };
}

test('the record names host, boot id, pid namespace, pid, start time, token and epoch', async (ctx) => {
  const { lease, previous } = await ctx.store.acquire(REF);
  assert.is(previous, null);
  const onDisk = JSON.parse(readFileSync(ctx.owner, 'utf8')) as OwnerRecord;
  const me = currentOwner();
  assert.is(onDisk.pid, process.pid);
  assert.is(onDisk.host, me.host);
  assert.is(onDisk.boot_id, me.bootId);
  assert.is(onDisk.pid_namespace, me.pidNamespace);
  if (process.platform === 'linux') assert.match(onDisk.pid_namespace ?? '', /^pid:\[\d+\]$/);
  assert.ok(onDisk.pid_start !== null && /^\d+$/.test(onDisk.pid_start));
  assert.match(onDisk.token, /^[0-9a-f]{24}$/);
  assert.is(onDisk.epoch, lease.epoch);
  assert.is((await ctx.store.ownerStatus(REF)).state, 'alive');
  await ctx.store.release(lease);
  const released = JSON.parse(readFileSync(ctx.owner, 'utf8')) as OwnerRecord;
  assert.is(released.released, true, 'kept, marked released: the epoch stays recorded');
  assert.is((await ctx.store.ownerStatus(REF)).state, 'none');
});

test('a live owner on this host is refused with its pid, host and start', async (ctx) => {
  pose(ctx, {});
  const err = await refused(ctx);
  assert.is(err.code, 'E_CONCURRENT_RUN');
  assert.match(err.message, `pid ${process.pid} on ${currentOwner().host} since `);
  assert.is(err.owner?.pid, process.pid);
});

test('a live pid with another start time (pid reuse) is taken over as a crash', async (ctx) => {
  pose(ctx, { pid_start: '1', epoch: 7 });
  const { lease, previous } = await ctx.store.acquire(REF);
  assert.is(previous?.reason, 'crash');
  assert.match(previous?.detail ?? '', 'now belongs to another process');
  assert.is(lease.epoch, 8, 'one above the epoch taken over');
  await ctx.store.release(lease);
});

test('a dead pid on this host and namespace is taken over at once as a crash', async (ctx) => {
  const child = spawn(process.execPath, ['-e', '0']);
  const pid = child.pid as number;
  await new Promise((resolve) => child.on('exit', resolve));
  pose(ctx, { pid, pid_start: '12345' });
  const { lease, previous } = await ctx.store.acquire(REF);
  assert.is(previous?.reason, 'crash');
  assert.is(previous?.detail, `owner pid ${pid} on ${currentOwner().host} is gone`);
  assert.is(previous?.owner?.pid, pid);
  await ctx.store.release(lease);
});

test('an owner recorded under another boot id is taken over as a reboot', async (ctx) => {
  if (currentOwner().bootId === null) return; // no /proc: nothing to compare
  pose(ctx, { boot_id: '00000000-0000-0000-0000-000000000000' });
  const { lease, previous } = await ctx.store.acquire(REF);
  assert.is(previous?.reason, 'reboot');
  await ctx.store.release(lease);
});

test('another pid namespace of this host is judged by heartbeat, never by pid', async (ctx) => {
  // A dead pid here: in its own namespace the owner may well be alive.
  const child = spawn(process.execPath, ['-e', '0']);
  const pid = child.pid as number;
  await new Promise((resolve) => child.on('exit', resolve));
  pose(ctx, { pid, pid_namespace: 'pid:[1]' });
  assert.is((await refused(ctx)).code, 'E_CONCURRENT_RUN');
  assert.match((await ctx.store.ownerStatus(REF)).reason, 'last heartbeat');
});

test('another host with a fresh heartbeat is refused; with an old one it is taken over', async (ctx) => {
  pose(ctx, { host: 'other-host.example', pid: 1 });
  const err = await refused(ctx);
  assert.is(err.code, 'E_CONCURRENT_RUN');
  assert.match(err.message, 'pid 1 on other-host.example');
  rmSync(ctx.owner);
  const old = Date.now() / 1000 - 3600;
  pose(ctx, { host: 'other-host.example', pid: 1, heartbeat: old, since: old }, old);
  const status = await ctx.store.ownerStatus(REF);
  assert.is(status.state, 'dead');
  assert.is(status.gone, 'stale');
  const { lease, previous } = await ctx.store.acquire(REF);
  assert.is(previous?.reason, 'stale');
  assert.match(
    previous?.detail ?? '',
    /no heartbeat from pid 1 on other-host\.example for 3\d{3} seconds/,
  );
  await ctx.store.release(lease);
});

test('renew moves the mtime to the wall clock, so another host sees the owner alive', async (ctx) => {
  const { lease } = await ctx.store.acquire(REF);
  const old = Date.now() / 1000 - 3600;
  utimesSync(ctx.owner, old, old);
  await ctx.store.renew(lease);
  assert.ok(statSync(ctx.owner).mtimeMs / 1000 > old + 3000);
  await ctx.store.release(lease);
});

test('an unreadable record is taken over, and the takeover is fenced', async (ctx) => {
  writeOwnerRecordSync(ctx.owner, record({}));
  rmSync(ctx.owner);
  const { writeFileSync } = await import('node:fs');
  writeFileSync(ctx.owner, 'not json');
  assert.is((await ctx.store.ownerStatus(REF)).state, 'unknown');
  const { lease, previous } = await ctx.store.acquire(REF);
  assert.is(previous?.reason, 'unreadable');
  assert.is((JSON.parse(readFileSync(ctx.owner, 'utf8')) as OwnerRecord).fenced, true);
  await ctx.store.release(lease);
});

test('an owner whose record was replaced learns it: E_LEASE_LOST, and release leaves the new record', async (ctx) => {
  const { lease } = await ctx.store.acquire(REF);
  rmSync(ctx.owner);
  pose(ctx, { token: 'a'.repeat(24), pid: 1, host: 'new-owner', epoch: lease.epoch + 1 });
  try {
    await ctx.store.renew(lease);
    assert.unreachable();
  } catch (err) {
    assert.is((err as { code?: string }).code, 'E_LEASE_LOST');
    assert.match((err as Error).message, 'pid 1 on new-owner');
  }
  await ctx.store.release(lease);
  assert.is((JSON.parse(readFileSync(ctx.owner, 'utf8')) as OwnerRecord).token, 'a'.repeat(24));
});

test('a FIFO, socket, directory or symbolic link where the owner record belongs: acquire is E_IO, ownerStatus unknown saying why; never waited on, never followed', async (ctx) => {
  const { execFileSync } = await import('node:child_process');
  const { mkdirSync, symlinkSync, writeFileSync } = await import('node:fs');
  const { createServer } = await import('node:net');
  const outside = join(ctx.dir, 'outside.json');
  const outsideBytes = JSON.stringify(record({ host: 'elsewhere' }));
  writeFileSync(outside, outsideBytes);
  for (const kind of ['fifo', 'socket', 'directory', 'symlink'] as const) {
    rmSync(ctx.owner, { recursive: true, force: true });
    const server = kind === 'socket' ? createServer() : null;
    if (kind === 'fifo') execFileSync('mkfifo', [ctx.owner]);
    if (server !== null) await new Promise<void>((resolve) => server.listen(ctx.owner, resolve));
    if (kind === 'directory') mkdirSync(ctx.owner);
    if (kind === 'symlink') symlinkSync(outside, ctx.owner);
    try {
      try {
        await ctx.store.acquire(REF);
        assert.unreachable(`${kind}: acquire refused`);
      } catch (err) {
        assert.is((err as { code?: string }).code, 'E_IO', kind);
      }
      // A reader's question gets an answer, so a listing goes on past one odd file.
      const status = await ctx.store.ownerStatus(REF);
      assert.is(status.state, 'unknown', kind);
      assert.match(status.reason, /not a regular file/, kind);
      assert.is(readFileSync(outside, 'utf8'), outsideBytes, `${kind}: nothing outside touched`);
    } finally {
      if (server !== null) await new Promise((resolve) => server.close(resolve));
    }
  }
});

test('a FIFO, socket, directory or symbolic link where the takeover lock belongs: release (async and sync) still gives ownership up, never waits, leaves it as it is', async (ctx) => {
  const { execFileSync } = await import('node:child_process');
  const { lstatSync, mkdirSync, symlinkSync, writeFileSync } = await import('node:fs');
  const { createServer } = await import('node:net');
  const lock = `${ctx.store.pathsFor(REF).stem}.owner.takeover`;
  const outside = join(ctx.dir, 'outside-lock');
  writeFileSync(outside, 'OUTSIDE');
  for (const kind of ['fifo', 'socket', 'directory', 'symlink'] as const) {
    for (const sync of [false, true]) {
      rmSync(ctx.owner, { force: true });
      rmSync(lock, { recursive: true, force: true });
      const { lease } = await ctx.store.acquire(REF);
      const server = kind === 'socket' ? createServer() : null;
      if (kind === 'fifo') execFileSync('mkfifo', [lock]);
      if (server !== null) await new Promise<void>((resolve) => server.listen(lock, resolve));
      if (kind === 'directory') mkdirSync(lock);
      if (kind === 'symlink') symlinkSync(outside, lock);
      try {
        if (sync) ctx.store.releaseSync(lease);
        else await ctx.store.release(lease);
        const status = await ctx.store.ownerStatus(REF);
        assert.is(status.state, 'none', `${kind} sync=${sync}: released`);
        assert.match(status.reason, /released/, `${kind} sync=${sync}`);
        assert.ok(lstatSync(lock).isFile() === false, `${kind}: left as it was`);
        assert.is(readFileSync(outside, 'utf8'), 'OUTSIDE');
      } finally {
        if (server !== null) await new Promise((resolve) => server.close(resolve));
      }
    }
  }
});

test("a heartbeat from another host further ahead than the threshold is not believed: the file system's change time judges it", async (ctx) => {
  const now = Date.now() / 1000;
  const yearAhead = now + 365 * 86400;
  // Another host's owner whose clock was a year ahead when it last beat (record and mtime).
  pose(ctx, { host: 'ahead-host', pid: 77, heartbeat: yearAhead, since: yearAhead }, yearAhead);
  // Seen just after that beat: alive (the file changed just now, on the file system's clock).
  assert.is((await ctx.store.ownerStatus(REF, { staleAfterSeconds: 60 })).state, 'alive');
  // Seen two hours later with no beat since: gone, not held until next year.
  const later = new FileSummaryStore({ root: ctx.dir, clock: { now: () => now + 7200 } });
  const status = await later.ownerStatus(REF, { staleAfterSeconds: 60 });
  assert.is(status.state, 'dead');
  assert.is(status.gone, 'stale');
  const { lease, previous } = await later.acquire(REF, { staleAfterSeconds: 60 });
  assert.is(previous?.reason, 'stale');
  assert.is(lease.epoch, 2);
  await later.release(lease);
});

test("an owner record with hostile text and a start past a Date's range: E_CONCURRENT_RUN all the same, no raw control character in its message or the status reason", async (ctx) => {
  const evil = 'h\u001b[2J\u009b31m|x\nOK - fake\u202e';
  pose(ctx, { host: evil, pid: 77, since: 1e300 });
  const hasRaw = (text: string) =>
    [...text].some((c) => {
      const n = c.charCodeAt(0);
      return n < 0x20 || (n >= 0x7f && n <= 0x9f) || n === 0x202e;
    });
  try {
    await ctx.store.acquire(REF);
    assert.unreachable('refused');
  } catch (err) {
    assert.is((err as { code?: string }).code, 'E_CONCURRENT_RUN');
    assert.not.ok(hasRaw((err as Error).message), (err as Error).message);
    assert.match((err as Error).message, 'h\\x1b[2J');
    assert.match((err as Error).message, '1e+300');
  }
  const status = await ctx.store.ownerStatus(REF);
  assert.is(status.state, 'alive');
  assert.not.ok(hasRaw(status.reason), status.reason);
});

test('the start time is field 22 of /proc/<pid>/stat, even with ") " in the command name', () => {
  const fields = Array.from({ length: 50 }, (_, i) => String(i + 3));
  assert.is(parseStartTime(`1234 (evil) name) ${fields.join(' ')}`), '22');
  assert.is(parseStartTime('garbage'), null);
});

test.run();

const racing = suite<Ctx>('owner records: real processes');
racing.before.each(async (ctx) => {
  ctx.dir = await tempDir('store-fs-owner-');
  ctx.store = new FileSummaryStore({ root: ctx.dir, logger: recordingLogger() });
  ctx.owner = ctx.store.pathsFor(REF).owner;
  await ctx.store.acquire(REF).then(({ lease }) => ctx.store.release(lease));
  rmSync(ctx.owner);
});
racing.after.each((ctx) => removeDir(ctx.dir));

racing(
  '8 processes taking over one stale owner at once: exactly one wins, with the next epoch',
  async (ctx) => {
    const old = Date.now() / 1000 - 3600;
    pose(ctx, { host: 'gone-host', pid: 1, heartbeat: old, since: old, epoch: 41 }, old);
    // A winner holds the lease until killed, so a late racer cannot win after it.
    const racers = Array.from({ length: 8 }, () =>
      startChild([process.execPath, holder, ctx.dir, REF.runName, REF.processName]),
    );
    const outcomes = await Promise.all(
      racers.map((r) => Promise.race([r.waitFor('holding'), r.waitFor('refused')])),
    );
    const status = await ctx.store.ownerStatus(REF);
    for (const r of racers) r.child.kill('SIGKILL');
    await Promise.all(racers.map((r) => r.exited));
    const winners = outcomes.filter((m) => m.event === 'holding');
    assert.is(winners.length, 1, JSON.stringify(outcomes));
    for (const r of outcomes.filter((m) => m.event === 'refused')) {
      assert.is(r.code, 'E_CONCURRENT_RUN');
    }
    assert.is(winners[0]?.epoch, 42, 'one above the stale owner, once');
    assert.is((winners[0]?.previous as { reason: string }).reason, 'stale');
    assert.is(status.owner?.epoch, 42);
    assert.is(status.owner?.pid, winners[0]?.pid);
  },
);

racing(
  'an owner in another pid namespace holding the pid of a live local process is judged by heartbeat',
  async (ctx) => {
    if (!canUnshare) {
      process.stdout.write('\n  note: unshare is not available (needs root on Linux); skipped\n');
      return;
    }
    const other = startChild(
      inNamespace([process.execPath, holder, ctx.dir, REF.runName, REF.processName]),
    );
    try {
      const held = await other.waitFor('holding');
      // Pid 1 in its namespace; here pid 1 is init: alive, started at another time.
      assert.is(held.pid, 1);
      const err = await refused(ctx, 300);
      assert.is(err.code, 'E_CONCURRENT_RUN', 'a live local pid 1 is not taken for a reused pid');
      assert.is((await ctx.store.ownerStatus(REF)).state, 'alive');
      // Silent for longer than the threshold: gone, and taken over as stale.
      await waitUntil(
        async () => (await ctx.store.ownerStatus(REF, { staleAfterSeconds: 1 })).state === 'dead',
      );
      const { lease, previous } = await ctx.store.acquire(REF, { staleAfterSeconds: 1 });
      assert.is(previous?.reason, 'stale');
      assert.is(lease.epoch, (held.epoch as number) + 1);
      await ctx.store.release(lease);
    } finally {
      other.child.kill('SIGKILL');
      await other.exited;
    }
  },
);

racing(
  '4 processes taking and releasing one summary in turn: no epoch is ever handed out twice',
  async (ctx) => {
    const start = (await ctx.store.ownerStatus(REF)).owner?.epoch ?? 0;
    const cycles = 25;
    const cyclers = Array.from({ length: 4 }, () =>
      startChild([process.execPath, cycler, ctx.dir, REF.runName, REF.processName, String(cycles)]),
    );
    const ends = await Promise.all(cyclers.map((c) => c.exited));
    for (const [i, end] of ends.entries()) assert.is(end.code, 0, cyclers[i]?.stderr());
    const epochs = cyclers.flatMap((c) =>
      c.messages.filter((m) => m.event === 'held').map((m) => m.epoch as number),
    );
    assert.is(epochs.length, 4 * cycles);
    const sorted = [...epochs].sort((a, b) => a - b);
    const repeated = sorted.filter((e, i) => i > 0 && e === sorted[i - 1]);
    assert.equal(repeated, [], 'every lease got an epoch of its own');
    assert.ok((sorted[0] as number) > start, 'above every epoch before');
    const status = await ctx.store.ownerStatus(REF);
    assert.is(status.state, 'none');
    assert.is(status.owner?.epoch, sorted.at(-1), 'the released record keeps the last epoch');
  },
);

racing.run();
