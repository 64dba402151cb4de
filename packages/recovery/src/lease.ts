/**
 * One owner per (run, process): an owner record beside the summary that only one live process
 * can hold.
 *
 * Hand-written rather than proper-lockfile: its takeover of a stale lock is rmdir + mkdir, and
 * two processes that both judged the lock stale can both win. Here a record is created with
 * `link()` (atomic, fails if the name exists, and the file is complete before it appears), and
 * a stale record is taken over by renaming it to a name unique to the taker, checking that
 * what was moved is the record judged stale, and only then creating a new one. Of several
 * takers exactly one rename succeeds; the others start over and find the winner alive.
 */
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  fsyncSync,
  linkSync,
  openSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { link, open, readFile, rename, stat, unlink, utimes } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type Clock, ProcessSummaryError } from '@process-summary/core';
import { nodeFileSystem, syncDirectory } from '@process-summary/store-fs';
import {
  currentProcess,
  isProcessAlive,
  type ProcessIdentity,
  readProcessStartTime,
} from './host.js';

/** The owner record, as stored in `process_summary_<process>.owner`. */
export interface OwnerRecord {
  version: 1;
  run_name: string;
  process_name: string;
  host: string;
  boot_id: string | null;
  pid: number;
  /** Field 22 of /proc/<pid>/stat: tells this process from a later one given the same pid. */
  pid_start: string | null;
  /** Random, per acquisition: a record with another token is another owner's. */
  token: string;
  /** When ownership was taken, epoch seconds. */
  since: number;
  /** When ownership was taken; later heartbeats move the file's mtime (see `heartbeat`). */
  heartbeat: number;
}

/** Why a previous owner is considered gone. */
export type OwnerGoneReason = 'crash' | 'reboot' | 'stale' | 'unreadable';

/** The owner a new owner took over from. */
export interface PreviousOwner {
  record: OwnerRecord | null;
  reason: OwnerGoneReason;
  /** A sentence for the interruption message, e.g. `owner pid 4242 on host-a is gone`. */
  detail: string;
}

export interface AcquireOptions {
  runName: string;
  processName: string;
  clock: Clock;
  /** An owner on another host is gone when its heartbeat is older than this. */
  staleAfterSeconds: number;
  /** Who acquires (tests pose as another process); default: this process. */
  identity?: ProcessIdentity;
}

type Judgement = { alive: true } | { alive: false; reason: OwnerGoneReason; detail: string };

const MAX_ATTEMPTS = 40;

/**
 * The owner path beside a summary path: `…/process_summary_<p>.json` → `…/process_summary_<p>.owner`
 * (not `.json`: a listing of summaries must not take it for one).
 */
export function ownerPathFor(summaryPath: string): string {
  return summaryPath.replace(/\.json$/, '.owner');
}

/**
 * Takes ownership of (run, process) at `path`, taking over a gone owner; throws
 * `E_CONCURRENT_RUN` naming the live owner (pid, host, since) otherwise.
 */
export async function acquireOwnership(
  path: string,
  options: AcquireOptions,
): Promise<{ lease: OwnerLease; previous: PreviousOwner | null }> {
  const identity = options.identity ?? currentProcess();
  const now = options.clock.now();
  const record: OwnerRecord = {
    version: 1,
    run_name: options.runName,
    process_name: options.processName,
    host: identity.host,
    boot_id: identity.bootId,
    pid: identity.pid,
    pid_start: identity.pidStart,
    token: randomBytes(12).toString('hex'),
    since: now,
    heartbeat: now,
  };
  let previous: PreviousOwner | null = null;
  const takeoverPath = `${path}.takeover`;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    if (await createExclusively(path, record)) {
      // Read back: ownership is the record at the path, nothing less.
      if ((await readRecord(path))?.record?.token === record.token) {
        return { lease: new OwnerLease(path, record, options.clock), previous };
      }
      continue;
    }
    const current = await readRecord(path);
    if (current === undefined) continue; // vanished since: try to create again
    const judgement = judge(current.record, current.mtimeSeconds, options, identity);
    if (judgement.alive) throw concurrentRun(options, current.record as OwnerRecord);
    // Only the holder of the takeover lock may move a record: a record is then never moved
    // by a process that judged an earlier one (which could move its successor's).
    if (!(await takeTakeoverLock(takeoverPath, record, options, identity))) {
      await pause(attempt);
      continue;
    }
    try {
      const again = await readRecord(path);
      if (again?.text !== current.text) continue; // replaced since we judged it: judge again
      const moved = `${path}.stale-${record.token}`;
      await rename(path, moved); // the record judged gone: nobody else moves it, and it exists
      previous = { record: current.record, reason: judgement.reason, detail: judgement.detail };
      await unlink(moved).catch(() => {});
      // A newcomer may create its record in the gap; then it owns the run and we are refused.
    } finally {
      await removeIfOurs(takeoverPath, record.token);
    }
  }
  throw new ProcessSummaryError(
    'E_CONCURRENT_RUN',
    `process-summary: could not take ownership of ${options.runName}/${options.processName} after ${MAX_ATTEMPTS} attempts: other processes keep competing for it`,
  );
}

/**
 * The takeover lock: a record like the owner's at `<owner>.takeover`, held for the few file
 * operations of a takeover. A lock left by a taker that died is judged like an owner record
 * and removed; two processes removing one dead lock at once is the remaining (tiny) window.
 */
async function takeTakeoverLock(
  lockPath: string,
  record: OwnerRecord,
  options: AcquireOptions,
  identity: ProcessIdentity,
): Promise<boolean> {
  if (await createExclusively(lockPath, record)) return true;
  const holder = await readRecord(lockPath);
  if (holder === undefined) return false;
  if (judge(holder.record, holder.mtimeSeconds, options, identity).alive) return false;
  const moved = `${lockPath}.stale-${record.token}`;
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
 * record another process put there meanwhile is put back, never deleted.
 */
async function removeIfOurs(path: string, token: string): Promise<void> {
  const moved = `${path}.release-${token}`;
  try {
    await rename(path, moved);
  } catch {
    return;
  }
  const text = await readFile(moved, 'utf8').catch(() => '');
  if (!isOurs(text, token)) await link(moved, path).catch(() => {});
  await unlink(moved).catch(() => {});
}

/** A short random wait while another process finishes a takeover. */
function pause(attempt: number): Promise<void> {
  const ms = Math.min(100, 5 * 2 ** Math.min(attempt, 4)) * (0.5 + Math.random());
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Ownership held by this process. */
export class OwnerLease {
  readonly #path: string;
  readonly #record: OwnerRecord;
  readonly #clock: Clock;
  #released = false;

  constructor(path: string, record: OwnerRecord, clock: Clock) {
    this.#path = path;
    this.#record = record;
    this.#clock = clock;
  }

  get path(): string {
    return this.#path;
  }
  get record(): OwnerRecord {
    return { ...this.#record };
  }
  get released(): boolean {
    return this.#released;
  }

  /**
   * Whether the record at the path is still ours. `false` means another process took over
   * (or the record was removed): the caller must stop writing.
   */
  async isHeld(): Promise<boolean> {
    if (this.#released) return false;
    const current = await readRecord(this.#path);
    return current?.record?.token === this.#record.token;
  }

  /** {@link isHeld} for `exit` and signal handlers, which cannot wait. */
  isHeldSync(): boolean {
    if (this.#released) return false;
    try {
      return isOurs(readFileSync(this.#path, 'utf8'), this.#record.token);
    } catch {
      return false;
    }
  }

  /**
   * Proves this owner alive: moves the record's mtime to now (the record is never rewritten,
   * so a heartbeat cannot overwrite a new owner's record). Throws `E_LEASE_LOST` if the record
   * is no longer ours.
   */
  async heartbeat(): Promise<void> {
    await this.assertHeld();
    const now = this.#clock.now();
    await utimes(this.#path, now, now);
  }

  /** Throws `E_LEASE_LOST` naming the new owner if the record is no longer ours. */
  async assertHeld(): Promise<void> {
    if (this.#released) throw leaseLost(this.#record, null, 'ownership was released');
    const current = await readRecord(this.#path);
    if (current?.record?.token !== this.#record.token) {
      throw leaseLost(this.#record, current?.record ?? null, 'the owner record was taken over');
    }
  }

  /** Gives ownership up, if it is still ours. */
  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    await removeIfOurs(this.#path, this.#record.token);
  }

  /** {@link release} for `exit` handlers, which cannot wait. */
  releaseSync(): void {
    if (this.#released) return;
    this.#released = true;
    const moved = `${this.#path}.release-${this.#record.token}`;
    try {
      renameSync(this.#path, moved);
    } catch {
      return;
    }
    let text = '';
    try {
      text = readFileSync(moved, 'utf8');
    } catch {}
    try {
      if (!isOurs(text, this.#record.token)) linkSync(moved, this.#path);
    } catch {}
    try {
      unlinkSync(moved);
    } catch {}
  }
}

function isOurs(text: string, token: string): boolean {
  try {
    return (JSON.parse(text) as OwnerRecord).token === token;
  } catch {
    return false;
  }
}

/** Writes the record to a temp file, makes it durable, and links it in: complete or absent. */
async function createExclusively(path: string, record: OwnerRecord): Promise<boolean> {
  const temp = `${path}.${record.token}.tmp`;
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
    if (errno(err) === 'EEXIST') return false;
    throw err;
  } finally {
    await unlink(temp).catch(() => {});
  }
  await syncDirectory(nodeFileSystem, dirname(path));
  return true;
}

/** Synchronous twin of the record write, for tests that pose as other owners. */
export function writeOwnerRecordSync(path: string, record: OwnerRecord): void {
  const fd = openSync(path, 'wx');
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
}

interface ReadRecord {
  text: string;
  /** null when the file does not parse as an owner record. */
  record: OwnerRecord | null;
  mtimeSeconds: number;
}

async function readRecord(path: string): Promise<ReadRecord | undefined> {
  try {
    const [text, stats] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
    return { text, record: parseRecord(text), mtimeSeconds: stats.mtimeMs / 1000 };
  } catch (err) {
    if (errno(err) === 'ENOENT') return undefined;
    throw err;
  }
}

/** Reads the owner record at `path` (for tools that show who owns a run); undefined if none. */
export async function readOwnerRecord(
  path: string,
): Promise<{ record: OwnerRecord | null; heartbeat: number } | undefined> {
  const current = await readRecord(path);
  if (current === undefined) return undefined;
  const heartbeat = Math.max(current.record?.heartbeat ?? 0, current.mtimeSeconds);
  return { record: current.record, heartbeat };
}

function parseRecord(text: string): OwnerRecord | null {
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
      return value as OwnerRecord;
    }
  } catch {}
  return null;
}

/** Whether the owner named by `record` can still be running. */
export function judge(
  record: OwnerRecord | null,
  mtimeSeconds: number,
  options: Pick<AcquireOptions, 'clock' | 'staleAfterSeconds'>,
  identity: ProcessIdentity,
): Judgement {
  if (record === null) {
    return { alive: false, reason: 'unreadable', detail: 'the owner record was unreadable' };
  }
  const who = `pid ${record.pid} on ${record.host}`;
  if (record.host === identity.host) {
    if (record.boot_id !== null && identity.bootId !== null && record.boot_id !== identity.bootId) {
      return { alive: false, reason: 'reboot', detail: `${record.host} rebooted while ${who} ran` };
    }
    if (!isProcessAlive(record.pid)) {
      return { alive: false, reason: 'crash', detail: `owner ${who} is gone` };
    }
    const start =
      record.pid === identity.pid ? identity.pidStart : readProcessStartTime(record.pid);
    if (record.pid_start !== null && start !== null && start !== record.pid_start) {
      return {
        alive: false,
        reason: 'crash',
        detail: `owner ${who} is gone (the pid now belongs to another process)`,
      };
    }
    return { alive: true };
  }
  const lastBeat = Math.max(record.heartbeat ?? 0, mtimeSeconds);
  const age = options.clock.now() - lastBeat;
  if (age > options.staleAfterSeconds) {
    return {
      alive: false,
      reason: 'stale',
      detail: `no heartbeat from ${who} for ${Math.round(age)} seconds`,
    };
  }
  return { alive: true };
}

function concurrentRun(
  options: Pick<AcquireOptions, 'runName' | 'processName'>,
  owner: OwnerRecord,
): ProcessSummaryError {
  const since = new Date(owner.since * 1000).toISOString();
  return Object.assign(
    new ProcessSummaryError(
      'E_CONCURRENT_RUN',
      `process-summary: ${options.runName}/${options.processName} is already running: pid ${owner.pid} on ${owner.host} since ${since}. Stop it first, or wait for it to finish.`,
    ),
    { owner: { pid: owner.pid, host: owner.host, since: owner.since } },
  );
}

function leaseLost(
  mine: OwnerRecord,
  current: OwnerRecord | null,
  why: string,
): ProcessSummaryError {
  const now =
    current === null
      ? 'no owner record exists'
      : `it now names pid ${current.pid} on ${current.host}`;
  return new ProcessSummaryError(
    'E_LEASE_LOST',
    `process-summary: ${mine.run_name}/${mine.process_name}: ${why} (${now}); this process stops writing the summary`,
  );
}

function errno(err: unknown): string | undefined {
  return (err as { code?: string } | undefined)?.code;
}
