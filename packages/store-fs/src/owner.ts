/**
 * The owner record: how the file store holds a lease on one summary. A record beside the
 * summary names its owner (host, boot id, pid namespace, pid, pid start time), a random token
 * (a record with another token is another owner's), the lease epoch, and whether writes of
 * this summary go to epoch copies too (see `fencing.ts`).
 *
 * Hand-written rather than proper-lockfile: its takeover of a stale lock is rmdir + mkdir, and
 * two processes that both judged the lock stale can both win. Here a record is created with
 * `link()` (atomic, fails if the name exists, and the file is complete before it appears), and
 * a gone owner's record is taken over under a takeover lock, after checking that the record
 * is still the one judged gone, by renaming the taker's own record over it: the path is never
 * empty, so no newcomer can slip a record in with an epoch that skips the gone owner's. Of
 * several takers only the lock holder replaces it; the others start over and find it alive.
 *
 * A released record is not deleted: it stays, marked `released`, so the epoch keeps growing
 * across owners (a later owner takes it over like a gone one, without counting a previous
 * owner). Release, too, renames the released copy over the record under the takeover lock:
 * the path is never empty while a record exists, so no epoch is ever handed out twice. Heartbeats move the record's mtime, stamped with the owner's wall clock; the record
 * itself is never rewritten, so a heartbeat cannot overwrite a new owner's record.
 */
import {
  closeSync,
  constants as fsConstants,
  fstatSync,
  fsyncSync,
  linkSync,
  lstatSync,
  openSync,
  readFileSync,
  readlinkSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { link, open, readFile, rename, unlink, utimes } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import {
  type OwnerGoneReason,
  type OwnerIdentity,
  type OwnerInfo,
  ProcessSummaryError,
  refName,
  type SummaryRef,
} from '@process-summary/core';
import { randomHex } from './crypto.js';
import { syncDirectory, syncDirectorySync } from './directory.js';
import { ioError } from './errors.js';
import { errnoCode, nodeFileSystem } from './fs-seam.js';
import { ownerTempPathFor, stalePathFor } from './layout.js';
import { escapeControl } from './logger.js';

/** The owner record, as stored at the layout's owner path. */
export interface OwnerRecord {
  version: 2;
  run_name: string;
  process_name: string;
  worker: string | null;
  host: string;
  boot_id: string | null;
  /** The pid namespace (`/proc/self/ns/pid`): a pid is judged only inside its namespace. */
  pid_namespace: string | null;
  pid: number;
  /** Field 22 of /proc/<pid>/stat: tells this process from a later one given the same pid. */
  pid_start: string | null;
  /** Random, per acquisition: a record with another token is another owner's. */
  token: string;
  /** The lease epoch (fencing token): 1 + the highest epoch seen for this summary. */
  epoch: number;
  /** When ownership was taken, epoch seconds. */
  since: number;
  /** When ownership was taken; later heartbeats move the file's mtime. */
  heartbeat: number;
  /**
   * Writes go to epoch copies too: an owner not proven dead was taken over once, so a late
   * write of it may land on the main file. Inherited by every later owner.
   */
  fenced: boolean;
  /** Ownership was given up: nobody holds the summary; the record keeps the epoch. */
  released: boolean;
}

// ------------------------------------------------------------------ identity of a process

/** Whether a process with this pid exists on this host (EPERM: it exists, owned by another user). */
export function isProcessAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errnoCode(err) === 'EPERM';
  }
}

/**
 * This boot of this machine: `/proc/sys/kernel/random/boot_id` changes at every boot, so an
 * owner recorded under another boot id cannot be running any more. `null` where there is no
 * /proc (the checks that need it are then skipped).
 */
export function readBootId(): string | null {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || null;
  } catch {
    return null;
  }
}

/**
 * The pid namespace of this process, `pid:[<inode>]` as `/proc/self/ns/pid` reads. Two
 * containers on one host (even with one host name) number their processes independently: a
 * pid is only meaningful beside the namespace it was issued in. `null` without /proc.
 */
export function readPidNamespace(): string | null {
  try {
    return readlinkSync('/proc/self/ns/pid') || null;
  } catch {
    return null;
  }
}

/**
 * When a process started, in clock ticks since boot: field 22 of `/proc/<pid>/stat`. A pid
 * reused by another program has another start time.
 */
export function readProcessStartTime(pid: number): string | null {
  try {
    return parseStartTime(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return null;
  }
}

/**
 * Field 22 of a `/proc/<pid>/stat` line, or null when the line is not one. The command name
 * (field 2) may contain spaces and parentheses, so fields are counted after the last `)`.
 */
export function parseStartTime(stat: string): string | null {
  const close = stat.lastIndexOf(')');
  if (close < 0) return null;
  // After ") " come fields 3, 4, …: field 22 is the 20th of them.
  const value = stat.slice(close + 2).split(' ')[19];
  return value !== undefined && /^\d+$/.test(value) ? value : null;
}

let cached: Required<OwnerIdentity> | undefined;

/** This process as an owner record names it (read once: none of it changes while it runs). */
export function currentOwner(): Required<OwnerIdentity> {
  cached ??= {
    host: hostname(),
    pid: process.pid,
    bootId: readBootId(),
    pidNamespace: readPidNamespace(),
    pidStart: readProcessStartTime(process.pid),
  };
  return cached;
}

// ------------------------------------------------------------------ judging an owner

/** Whether an owner record's owner is alive, and if not, how it went and whether that is proven. */
export type Judgement =
  | { alive: true; reason: string }
  | {
      alive: false;
      /** `null`: the record was released (no owner, nothing to count). */
      gone: OwnerGoneReason | null;
      /**
       * Proven dead (its process is gone on this host, or the host rebooted): it can never
       * write again. Otherwise (stale heartbeat, unreadable record) it may only be stalled.
       */
      proven: boolean;
      reason: string;
    };

/**
 * Judges the owner named by `record`: on this host and pid namespace by its process (a dead
 * pid, or a pid now held by a process with another start time, is a crash; another boot id is
 * a reboot); anywhere else by its heartbeat (the later of the record's and the file's mtime),
 * gone when older than `staleAfterSeconds`.
 */
export function judgeOwner(
  record: OwnerRecord | null,
  mtimeSeconds: number,
  now: number,
  staleAfterSeconds: number,
  me: OwnerIdentity,
  changeSeconds?: number,
): Judgement {
  if (record === null) {
    return {
      alive: false,
      gone: 'unreadable',
      proven: false,
      reason: 'the owner record was unreadable',
    };
  }
  if (record.released) {
    return { alive: false, gone: null, proven: true, reason: 'ownership was released' };
  }
  const who = `pid ${record.pid} on ${shown(record.host)}`;
  if (record.host === me.host) {
    const myBoot = me.bootId ?? null;
    if (record.boot_id !== null && myBoot !== null && record.boot_id !== myBoot) {
      return {
        alive: false,
        gone: 'reboot',
        proven: true,
        reason: `${shown(record.host)} rebooted while ${who} ran`,
      };
    }
    if ((record.pid_namespace ?? null) === (me.pidNamespace ?? null)) {
      if (!isProcessAlive(record.pid)) {
        return { alive: false, gone: 'crash', proven: true, reason: `owner ${who} is gone` };
      }
      const start =
        record.pid === me.pid ? (me.pidStart ?? null) : readProcessStartTime(record.pid);
      if (record.pid_start !== null && start !== null && start !== record.pid_start) {
        return {
          alive: false,
          gone: 'crash',
          proven: true,
          reason: `owner ${who} is gone (the pid now belongs to another process)`,
        };
      }
      return { alive: true, reason: `${who} is running` };
    }
  }
  // Another host, or another pid namespace of this one: its pid means nothing here.
  let beat = heartbeatOf(record, mtimeSeconds);
  // A heartbeat further ahead than the threshold is not believed (an owner whose clock was
  // stepped forward, then back, or a forged record would hold the summary until that date):
  // the file's change time is used instead, stamped by the file system at the last heartbeat,
  // never by the owner.
  if (beat - now > staleAfterSeconds && changeSeconds !== undefined) beat = changeSeconds;
  const age = Math.max(0, now - beat);
  if (age > staleAfterSeconds) {
    return {
      alive: false,
      gone: 'stale',
      proven: false,
      reason: `no heartbeat from ${who} for ${Math.round(age)} seconds`,
    };
  }
  return { alive: true, reason: `${who}: last heartbeat ${Math.round(age)} seconds ago` };
}

function heartbeatOf(record: OwnerRecord, mtimeSeconds: number): number {
  return Math.max(record.heartbeat ?? 0, mtimeSeconds);
}

/** The record as the contract's {@link OwnerInfo}. */
export function ownerInfoOf(record: OwnerRecord, mtimeSeconds: number): OwnerInfo {
  return {
    host: record.host,
    pid: record.pid,
    bootId: record.boot_id,
    pidNamespace: record.pid_namespace ?? null,
    pidStart: record.pid_start,
    epoch: record.epoch ?? 0,
    since: record.since,
    heartbeat: heartbeatOf(record, mtimeSeconds),
  };
}

// ------------------------------------------------------------------ reading

/** An owner record as found on disk. */
export interface FoundRecord {
  text: string;
  /** null when the file does not parse as an owner record. */
  record: OwnerRecord | null;
  mtimeSeconds: number;
  /** The file's change time (ctime): set by the file system, never by the owner. */
  changeSeconds: number;
}

// Never follow a link out of the root, never block on a FIFO.
const READ_FLAGS = fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW | fsConstants.O_NONBLOCK;
/** An owner record is a few hundred bytes: anything far larger is not one (and is not read). */
const MAX_RECORD_BYTES = 64 * 1024;

function notARecord(path: string, what: string): Error {
  return Object.assign(new Error(`${path} is ${what}, not an owner record`), { code: 'ENOTREG' });
}

/**
 * The record at `path`, or undefined when there is none. A symbolic link, FIFO, directory or
 * other non-regular file there is `E_IO` (never followed, never waited on); a file too large
 * to be a record reads as unreadable.
 */
export async function readOwnerFile(path: string): Promise<FoundRecord | undefined> {
  try {
    const handle = await open(path, READ_FLAGS);
    try {
      const stats = await handle.stat();
      if (!stats.isFile()) throw notARecord(path, 'not a regular file');
      const mtimeSeconds = stats.mtimeMs / 1000;
      const changeSeconds = stats.ctimeMs / 1000;
      if (stats.size > MAX_RECORD_BYTES) {
        return { text: '', record: null, mtimeSeconds, changeSeconds };
      }
      const text = await handle.readFile('utf8');
      return { text, record: parseRecord(text), mtimeSeconds, changeSeconds };
    } finally {
      await handle.close();
    }
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined;
    throw ioError('reading the owner record', path, err);
  }
}

/** {@link readOwnerFile} for `exit` handlers, which cannot wait. */
export function readOwnerFileSync(path: string): FoundRecord | undefined {
  // Most summaries have no owner record, and a save checks for one every time: an lstat that
  // answers "none" costs a few microseconds, an open failing with ENOENT an error object and its
  // stack, several times that. A record made after this look is one made after the read.
  if (lstatSync(path, { throwIfNoEntry: false }) === undefined) return undefined;
  let fd: number | undefined;
  try {
    fd = openSync(path, READ_FLAGS);
    const stats = fstatSync(fd);
    if (!stats.isFile()) throw notARecord(path, 'not a regular file');
    const mtimeSeconds = stats.mtimeMs / 1000;
    const changeSeconds = stats.ctimeMs / 1000;
    if (stats.size > MAX_RECORD_BYTES)
      return { text: '', record: null, mtimeSeconds, changeSeconds };
    const text = readFileSync(fd, 'utf8');
    return { text, record: parseRecord(text), mtimeSeconds, changeSeconds };
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined;
    throw ioError('reading the owner record', path, err);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

export function parseRecord(text: string): OwnerRecord | null {
  try {
    const value = JSON.parse(text) as Partial<OwnerRecord>;
    if (
      typeof value === 'object' &&
      value !== null &&
      typeof value.host === 'string' &&
      typeof value.pid === 'number' &&
      typeof value.token === 'string' &&
      typeof value.since === 'number'
    ) {
      // Records of version 1 (before epochs) read as epoch 0, unfenced, held.
      return {
        ...value,
        worker: value.worker ?? null,
        boot_id: value.boot_id ?? null,
        pid_namespace: value.pid_namespace ?? null,
        pid_start: value.pid_start ?? null,
        epoch: typeof value.epoch === 'number' ? value.epoch : 0,
        heartbeat: typeof value.heartbeat === 'number' ? value.heartbeat : value.since,
        fenced: value.fenced === true,
        released: value.released === true,
      } as OwnerRecord;
    }
  } catch {}
  return null;
}

/** Whether the record text carries `token` and is not released: the lease it names is current. */
export function holdsToken(found: FoundRecord | undefined, token: string): boolean {
  return found?.record?.token === token && !found.record.released;
}

// ------------------------------------------------------------------ acquiring

/** What {@link acquireOwner} needs to know. */
export interface AcquireOwnerOptions {
  ref: SummaryRef;
  me: OwnerIdentity;
  now: () => number;
  staleAfterSeconds: number;
  /**
   * The highest epoch the summary's files carry (the summary's `owner_epoch`, the epoch
   * copies), and whether any epoch copy exists. Read once, before the first attempt.
   */
  stored: () => Promise<{ epoch: number; copies: boolean }>;
}

/** What {@link acquireOwner} took. */
export interface AcquiredOwner {
  record: OwnerRecord;
  /** The owner taken over (not a released one), with how it went. */
  previous: {
    record: OwnerRecord | null;
    mtimeSeconds: number;
    gone: OwnerGoneReason;
    reason: string;
  } | null;
}

const MAX_ATTEMPTS = 40;

/**
 * Takes ownership at `path` (the owner record), taking over a gone or released owner; throws
 * `E_CONCURRENT_RUN` naming the live owner (pid, host, since) otherwise.
 */
export async function acquireOwner(
  path: string,
  lockPath: string,
  options: AcquireOwnerOptions,
): Promise<AcquiredOwner> {
  const { ref, me } = options;
  const stored = await options.stored();
  let highest = stored.epoch;
  let fenced = stored.copies;
  let previous: AcquiredOwner['previous'] = null;
  const token = randomHex(12);
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const now = options.now();
    const record: OwnerRecord = {
      version: 2,
      run_name: ref.runName,
      process_name: ref.processName,
      worker: ref.worker ?? null,
      host: me.host,
      boot_id: me.bootId ?? null,
      pid_namespace: me.pidNamespace ?? null,
      pid: me.pid,
      pid_start: me.pidStart ?? null,
      token,
      epoch: highest + 1,
      since: now,
      heartbeat: now,
      fenced,
      released: false,
    };
    if (await createExclusively(path, record)) {
      // Read back: ownership is the record at the path, nothing less.
      if (holdsToken(await readOwnerFile(path), token)) return { record, previous };
      continue;
    }
    const current = await readOwnerFile(path);
    if (current === undefined) continue; // vanished since: try to create again
    const judgement = judgeOwner(
      current.record,
      current.mtimeSeconds,
      now,
      options.staleAfterSeconds,
      me,
      current.changeSeconds,
    );
    if (judgement.alive) throw concurrentRunError(ref, current.record as OwnerRecord);
    // Whoever ends up creating the next record (this taker, or another one in the gap after
    // this one moved the gone record) takes over from this owner: its epoch, its fencing.
    highest = Math.max(highest, current.record?.epoch ?? 0);
    // Once an owner that may only be stalled was taken over, its late writes may land on the
    // main file: from now on every owner writes epoch copies too.
    fenced = fenced || current.record?.fenced === true || !judgement.proven;
    previous =
      judgement.gone === null
        ? null
        : {
            record: current.record,
            mtimeSeconds: current.mtimeSeconds,
            gone: judgement.gone,
            reason: judgement.reason,
          };
    // Only the holder of the takeover lock may move a record: a record is then never moved
    // by a process that judged an earlier one (which could move its successor's).
    if (!(await takeTakeoverLock(lockPath, record, options))) {
      await pause(attempt);
      continue;
    }
    try {
      const again = await readOwnerFile(path);
      if (again?.text !== current.text) continue; // replaced since we judged it: judge again
      // Our record replaces the one judged gone in one rename: the path is never empty, so no
      // newcomer can create a record in a gap with an epoch that knows nothing of the old
      // owner's (the epoch would go back, 41 to 1, and fencing with it).
      const ours: OwnerRecord = { ...record, epoch: highest + 1, fenced };
      await replaceRecord(path, ours);
      if (holdsToken(await readOwnerFile(path), token)) return { record: ours, previous };
    } finally {
      await removeIfOurs(lockPath, token);
    }
  }
  throw new ProcessSummaryError(
    'E_CONCURRENT_RUN',
    `process-summary/store-fs: could not take ownership of ${refName(ref)} after ${MAX_ATTEMPTS} attempts: other processes keep competing for it`,
  );
}

/**
 * The takeover lock: a record like the owner's, held for the few file operations of a
 * takeover. A lock left by a taker that died is judged like an owner record and removed; two
 * processes removing one dead lock at once is the remaining (tiny) window.
 */
async function takeTakeoverLock(
  lockPath: string,
  record: OwnerRecord,
  options: ReleaseOwnerOptions,
): Promise<boolean> {
  if (await createExclusively(lockPath, record)) return true;
  const holder = await readOwnerFile(lockPath);
  if (holder === undefined) return false;
  const judged = judgeOwner(
    holder.record,
    holder.mtimeSeconds,
    options.now(),
    options.staleAfterSeconds,
    options.me,
    holder.changeSeconds,
  );
  if (judged.alive) return false;
  const moved = stalePathFor(lockPath, record.token);
  try {
    await rename(lockPath, moved);
  } catch {
    return false;
  }
  const movedText = await readFile(moved, 'utf8').catch(() => undefined);
  if (movedText !== holder.text) await link(moved, lockPath).catch(() => {});
  await unlink(moved).catch(() => {});
  return false; // try again from the start
}

/**
 * Removes the record at `path` if it carries `token`: moved to a name of ours first, so a
 * record another process put there meanwhile is put back, never deleted. Resolves the record
 * removed, or undefined when it was not ours.
 */
async function removeIfOurs(path: string, token: string): Promise<OwnerRecord | undefined> {
  const moved = stalePathFor(path, token);
  try {
    await rename(path, moved);
  } catch {
    return undefined;
  }
  const text = await readFile(moved, 'utf8').catch(() => '');
  const record = parseRecord(text);
  const ours = record?.token === token;
  if (!ours) await link(moved, path).catch(() => {});
  await unlink(moved).catch(() => {});
  return ours ? (record ?? undefined) : undefined;
}

/** A short random wait while another process finishes a takeover. */
function pause(attempt: number): Promise<void> {
  const ms = Math.min(100, 5 * 2 ** Math.min(attempt, 4)) * (0.5 + Math.random());
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Writes `record` durably to a temp file and renames it over `path` (the takeover lock held). */
async function replaceRecord(path: string, record: OwnerRecord): Promise<void> {
  const temp = ownerTempPathFor(path, `${record.token}${randomHex(3)}`);
  const handle = await open(temp, 'wx');
  try {
    await handle.writeFile(`${JSON.stringify(record, null, 2)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temp, path);
  } catch (err) {
    await unlink(temp).catch(() => {});
    throw err;
  }
  await syncDirectory(nodeFileSystem, dirname(path));
}

/** Writes the record to a temp file, makes it durable, and links it in: complete or absent. */
async function createExclusively(path: string, record: OwnerRecord): Promise<boolean> {
  const temp = ownerTempPathFor(path, `${record.token}${randomHex(3)}`);
  const handle = await open(temp, 'wx');
  try {
    await handle.writeFile(`${JSON.stringify(record, null, 2)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await link(temp, path);
  } catch (err) {
    if (errnoCode(err) === 'EEXIST') return false;
    throw err;
  } finally {
    await unlink(temp).catch(() => {});
  }
  await syncDirectory(nodeFileSystem, dirname(path));
  return true;
}

// ------------------------------------------------------------------ holding and giving up

/**
 * A heartbeat: moves the record's mtime to `now` (the owner's wall clock) if the record is
 * still ours. Returns whether it was.
 */
export async function touchOwner(path: string, token: string, now: number): Promise<boolean> {
  if (!holdsToken(await readOwnerFile(path), token)) return false;
  await utimes(path, now, now);
  return true;
}

/** What {@link releaseOwner} needs to judge a takeover lock it finds held. */
export type ReleaseOwnerOptions = Pick<AcquireOwnerOptions, 'me' | 'now' | 'staleAfterSeconds'>;

/**
 * Gives ownership up if the record is still ours: a released copy of it (keeping the epoch)
 * is renamed over it, under the takeover lock, so the path is never empty. Moving the record
 * away first and linking the released copy in after left a gap in which a newcomer found no
 * record and created one with an epoch from the summary's files alone: an epoch already used
 * by this owner (it may never have saved) came back. The lock keeps a taker that judged this
 * owner gone (a stale heartbeat) from replacing the record between the check and the rename:
 * its record would be overwritten and its epoch handed out again. A record another process
 * put there is left alone. Throws `E_CONCURRENT_RUN` when the lock stays held by a live
 * process for all attempts (the record then stays held, and is judged like a gone owner's
 * once this process exits).
 */
export async function releaseOwner(
  path: string,
  lockPath: string,
  token: string,
  options: ReleaseOwnerOptions,
): Promise<void> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const found = await readOwnerFile(path).catch(() => undefined);
    if (!holdsToken(found, token)) return;
    const ours = found?.record as OwnerRecord;
    let locked: boolean | 'odd';
    try {
      locked = await takeTakeoverLock(lockPath, ours, options);
    } catch (err) {
      // A FIFO, directory or link where the lock belongs: no taker can take the lock either
      // (it refuses the same file with E_IO), so nothing can replace the record meanwhile.
      if (!isOddFileError(err)) throw err;
      locked = 'odd';
    }
    if (locked === false) {
      await pause(attempt);
      continue;
    }
    try {
      const again = await readOwnerFile(path).catch(() => undefined);
      if (!holdsToken(again, token)) return;
      await replaceRecord(path, { ...(again?.record as OwnerRecord), released: true });
      return;
    } finally {
      if (locked === true) await removeIfOurs(lockPath, token);
    }
  }
  throw releaseBlockedError(path);
}

/**
 * {@link releaseOwner} for `exit` handlers, which cannot wait: the same steps, with short
 * blocking pauses (fewer attempts: an exiting process should not hang on a stalled taker).
 */
export function releaseOwnerSync(
  path: string,
  lockPath: string,
  token: string,
  options: ReleaseOwnerOptions,
): void {
  for (let attempt = 0; attempt < MAX_SYNC_RELEASE_ATTEMPTS; attempt++) {
    const found = readOwnerFileQuietlySync(path);
    if (!holdsToken(found, token)) return;
    const ours = found?.record as OwnerRecord;
    const locked = takeTakeoverLockSync(lockPath, ours, options);
    if (locked === false) {
      pauseSync(attempt);
      continue;
    }
    try {
      const again = readOwnerFileQuietlySync(path);
      if (!holdsToken(again, token)) return;
      replaceRecordSync(path, { ...(again?.record as OwnerRecord), released: true });
      return;
    } finally {
      if (locked === true) removeIfOursSync(lockPath, token);
    }
  }
  throw releaseBlockedError(path);
}

const MAX_SYNC_RELEASE_ATTEMPTS = 12;

/** Whether `err` (from reading a record) says the path holds something else than a regular file. */
function isOddFileError(err: unknown): boolean {
  const cause = errnoCode((err as { cause?: unknown }).cause);
  return cause === 'ENOTREG' || cause === 'ELOOP' || cause === 'ENXIO' || cause === 'EISDIR';
}

function releaseBlockedError(path: string): ProcessSummaryError {
  return new ProcessSummaryError(
    'E_CONCURRENT_RUN',
    `process-summary/store-fs: could not release ${path}: another live process kept holding its takeover lock; the record stays held until this process is judged gone`,
  );
}

function readOwnerFileQuietlySync(path: string): FoundRecord | undefined {
  try {
    return readOwnerFileSync(path);
  } catch {
    return undefined;
  }
}

/**
 * {@link takeTakeoverLock}, synchronously; `'odd'` when something other than a regular file
 * stands where the lock belongs (see {@link releaseOwner}).
 */
function takeTakeoverLockSync(
  lockPath: string,
  record: OwnerRecord,
  options: ReleaseOwnerOptions,
): boolean | 'odd' {
  try {
    writeOwnerRecordSync(lockPath, record);
    return true;
  } catch (err) {
    if (errnoCode(err) !== 'EEXIST') return false;
  }
  let holder: FoundRecord | undefined;
  try {
    holder = readOwnerFileSync(lockPath);
  } catch (err) {
    return isOddFileError(err) ? 'odd' : false;
  }
  if (holder === undefined) return false;
  const judged = judgeOwner(
    holder.record,
    holder.mtimeSeconds,
    options.now(),
    options.staleAfterSeconds,
    options.me,
    holder.changeSeconds,
  );
  if (judged.alive) return false;
  const moved = stalePathFor(lockPath, record.token);
  try {
    renameSync(lockPath, moved);
  } catch {
    return false;
  }
  try {
    if (readFileSync(moved, 'utf8') !== holder.text) linkSync(moved, lockPath);
  } catch {}
  try {
    unlinkSync(moved);
  } catch {}
  return false;
}

/** {@link removeIfOurs}, synchronously. */
function removeIfOursSync(path: string, token: string): void {
  const moved = stalePathFor(path, token);
  try {
    renameSync(path, moved);
  } catch {
    return;
  }
  let text = '';
  try {
    text = readFileSync(moved, 'utf8');
  } catch {}
  try {
    if (parseRecord(text)?.token !== token) linkSync(moved, path);
  } catch {}
  try {
    unlinkSync(moved);
  } catch {}
}

/** A short blocking wait (an `exit` handler has no event loop to wait on). */
function pauseSync(attempt: number): void {
  const ms = Math.min(50, 5 * 2 ** Math.min(attempt, 4)) * (0.5 + Math.random());
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** {@link replaceRecord}, synchronously. */
function replaceRecordSync(path: string, record: OwnerRecord): void {
  const temp = writeTempRecordSync(path, record);
  try {
    renameSync(temp, path);
  } catch (err) {
    try {
      unlinkSync(temp);
    } catch {}
    throw err;
  }
  syncDirectorySync(dirname(path));
}

/** Writes `record` durably to a temp file beside `path`; returns the temp path. */
function writeTempRecordSync(path: string, record: OwnerRecord): string {
  const temp = ownerTempPathFor(path, `${record.token}${randomHex(3)}`);
  const fd = openSync(temp, 'wx');
  try {
    const buffer = Buffer.from(`${JSON.stringify(record, null, 2)}\n`);
    let written = 0;
    while (written < buffer.length) {
      written += writeSync(fd, buffer, written, buffer.length - written);
    }
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return temp;
}

/**
 * {@link createExclusively}, synchronously (the `exit`-handler release, and tests that pose as
 * other owners): written to a temp file, made durable, linked in (complete or absent, never
 * half-written to a reader). Throws `EEXIST` when a record is there.
 */
export function writeOwnerRecordSync(path: string, record: OwnerRecord): void {
  const temp = writeTempRecordSync(path, record);
  try {
    linkSync(temp, path);
  } finally {
    try {
      unlinkSync(temp);
    } catch {}
  }
  syncDirectorySync(dirname(path));
}

// ------------------------------------------------------------------ errors

/**
 * Text of an owner record (another host's file) as a message shows it: every character a
 * terminal acts on escaped, so printing an error cannot clear a screen or forge a line.
 */
export function shown(text: string): string {
  return escapeControl(String(text));
}

/** `E_CONCURRENT_RUN` naming the live owner; `owner` carries its pid, host and since. */
export function concurrentRunError(ref: SummaryRef, owner: OwnerRecord): ProcessSummaryError {
  const date = new Date(owner.since * 1000);
  // A record's numbers are a file's: one past a Date's range is shown as it is, not thrown on.
  const since = Number.isNaN(date.getTime())
    ? `${owner.since} (epoch seconds)`
    : date.toISOString();
  return Object.assign(
    new ProcessSummaryError(
      'E_CONCURRENT_RUN',
      `process-summary: ${refName(ref)} is already running: pid ${owner.pid} on ${shown(owner.host)} since ${since}. Stop it first, or wait for it to finish.`,
    ),
    { owner: { pid: owner.pid, host: owner.host, since: owner.since } },
  );
}

/** `E_LEASE_LOST`: the lease of `ref` is no longer current; says who holds it now. */
export function leaseLostError(
  ref: SummaryRef,
  why: string,
  current: FoundRecord | undefined,
): ProcessSummaryError {
  const now =
    current?.record == null
      ? 'no owner record exists'
      : current.record.released
        ? 'ownership was released'
        : `it now names pid ${current.record.pid} on ${shown(current.record.host)}`;
  return new ProcessSummaryError(
    'E_LEASE_LOST',
    `process-summary: ${refName(ref)}: ${why} (${now}); this process stops writing the summary`,
  );
}
