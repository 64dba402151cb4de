import { hostname } from 'node:os';
import { resolve } from 'node:path';
import {
  assertValidName,
  type Clock,
  codedRangeError,
  codedTypeError,
  type Lease,
  ProcessSummary,
  refName,
  resolveLimits,
  type SummaryLimits,
  type SummaryRef,
  type SummaryStore,
  systemClock,
} from '@process-summary/core';
import {
  defaultLogger,
  FileSummaryStore,
  type FileSystem,
  type Logger,
} from '@process-summary/store-fs';
import { classifyResume, type ResumeClassification } from './classify.js';
import { RunContext, reason } from './run-context.js';
import { checkStoreOption, type ResolvedStore, resolveStore } from './store-choice.js';

/** Options of {@link createProcessSummary}; every one is optional. */
export interface CreateProcessSummaryOptions {
  /** Where summaries live when no `store` is given (the file store's root). Default `runs` (under the cwd). */
  root?: string;
  /**
   * Where the summary is kept: any `SummaryStore`, a directory (a path or `file://` URL) for
   * the file store, or a `postgres://` URL for the PostgreSQL store (needs
   * `@process-summary/store-pg` and `pg` installed, else `E_STORE_UNAVAILABLE`). Default: a file
   * store under `root`. A store opened here from a URL is closed (its pool ended) when the
   * summary is done with (ended, released or removed); a store object passed in is never
   * closed here.
   */
  store?: SummaryStore | string;
  /** The worker (shard) of the process this summary tracks; each worker has its own summary and owner. */
  worker?: string;
  /** Where warnings and errors go; pino-compatible. Default: stderr. */
  logger?: Logger;
  /** Start over: the existing summary is archived by the store (never deleted). */
  fresh?: boolean;
  /** Checkpoint, save and renew ownership this often, in seconds; 0 turns it off. Default 30. */
  heartbeatSeconds?: number;
  /** Record SIGINT/SIGTERM and exits without `endProcess`. Default true. */
  handleSignals?: boolean;
  /** The seed's rule on resume: no checkpoint for longer than this. Default 300. */
  interruptionThresholdSeconds?: number;
  /**
   * An owner the store cannot judge directly (another host or pid namespace) is gone when its
   * heartbeat is older than this. Default: the interruption threshold.
   */
  staleAfterSeconds?: number;
  clock?: Clock;
  limits?: Partial<SummaryLimits>;
}

const contexts = new WeakMap<ProcessSummary, RunContext>();

/**
 * Creates or resumes the summary of (run, process[, worker]) and starts a session of it in
 * this process: takes ownership from the store (a second live process gets
 * `E_CONCURRENT_RUN`), loads what the store holds, classifies how the previous session ended
 * (counting interruptions with the seed's messages), starts the session, saves, and keeps it
 * saved by a heartbeat that also renews ownership. With `handleSignals`, SIGINT/SIGTERM and an
 * exit without `endProcess` are recorded durably (at exit only where the store can save
 * synchronously).
 */
export async function createProcessSummary(
  runName: string,
  processName: string,
  options: CreateProcessSummaryOptions = {},
): Promise<ProcessSummary> {
  assertValidName('run', runName);
  assertValidName('process', processName);
  if (options.worker !== undefined) assertValidName('worker', options.worker);
  const heartbeatSeconds = options.heartbeatSeconds ?? 30;
  const threshold = options.interruptionThresholdSeconds ?? 300;
  const staleAfter = options.staleAfterSeconds ?? threshold;
  for (const [name, value] of [
    ['heartbeatSeconds', heartbeatSeconds],
    ['interruptionThresholdSeconds', threshold],
    ['staleAfterSeconds', staleAfter],
  ] as const) {
    if (!Number.isFinite(value) || value < 0 || (value === 0 && name !== 'heartbeatSeconds')) {
      throw codedRangeError(
        'E_INVALID_ARGUMENT',
        `${name} must be a positive number, got ${value}`,
      );
    }
  }
  if (options.clock !== undefined && typeof options.clock?.now !== 'function') {
    throw codedTypeError('E_INVALID_ARGUMENT', 'clock must be an object with a now() method');
  }
  checkStoreOption(options.store);
  if (options.root !== undefined && (typeof options.root !== 'string' || options.root === '')) {
    throw codedTypeError('E_INVALID_ARGUMENT', 'root must be a non-empty string');
  }
  resolveLimits(options.limits); // E_INVALID_LIMITS now, before anything is touched
  const logger = options.logger ?? defaultLogger;
  const clock = options.clock ?? systemClock;
  const opened = await resolveStore(options.store, options.root ?? 'runs', logger);
  const store = opened.store;
  const ref: SummaryRef = { runName, processName, worker: options.worker ?? null };
  const summaryOptions = {
    clock,
    interruptionThresholdSeconds: threshold,
    ...(options.limits === undefined ? {} : { limits: options.limits }),
  };

  let acquired: Awaited<ReturnType<SummaryStore['acquire']>>;
  try {
    acquired = await store.acquire(ref, { staleAfterSeconds: staleAfter });
  } catch (err) {
    await closeQuietly(opened, logger);
    throw err;
  }
  const { lease, previous } = acquired;
  try {
    if (options.fresh) await archive(store, ref, lease, logger);
    let summary: ProcessSummary | undefined;
    let resume: ResumeClassification | null = null;
    // The store logs what it repaired through its logger (the contract): said once, not here
    // again. A run whose history exists but cannot be used (E_CORRUPT: quarantined copies, a
    // journal without a usable event) is refused, never started over from zero: the caller
    // repairs it, or archives it and starts afresh with `fresh: true`.
    const loaded = await store.load(ref, summaryOptions);
    summary = loaded?.summary;
    if (summary !== undefined) {
      resume = classifyResume(summary, previous);
      if (resume.interrupted) {
        logger.warn(
          {
            run: runName,
            process: processName,
            worker: ref.worker ?? null,
            reason: resume.previousEnd,
          },
          `${refName(ref)} resumes after an interruption: ${resume.detail}`,
        );
      }
    } else {
      summary = new ProcessSummary({
        runName,
        processName,
        worker: options.worker ?? null,
        ...summaryOptions,
      });
    }
    // The session names this process; the boot id is the store's to know (null where it has none).
    summary.startProcess({
      host: hostname(),
      pid: process.pid,
      bootId: lease.owner.bootId ?? null,
    });
    const context = new RunContext({
      summary,
      store,
      lease,
      closeStore: opened.close,
      reopenStore: () => resolveStore(options.store, options.root ?? 'runs', logger),
      logger,
      heartbeatSeconds,
      handleSignals: options.handleSignals ?? true,
      resume,
    });
    contexts.set(summary, context);
    await context.save();
    context.start();
    return summary;
  } catch (err) {
    await store.release(lease).catch(() => {});
    await closeQuietly(opened, logger);
    throw err;
  }
}

/** Closes a store opened here after a failure, which is the error the caller sees. */
async function closeQuietly(opened: ResolvedStore, logger: Logger): Promise<void> {
  try {
    await opened.close();
  } catch (err) {
    logger.debug({ err }, `closing the store failed: ${reason(err)}`);
  }
}

/**
 * Saves the summary; never throws. Returns `false` after logging the failure (disk full,
 * permission denied, read-only file system, ownership lost or released), keeping the
 * in-memory state for the next attempt. Saving an ended summary releases ownership and stops
 * the heartbeat; a save after that is refused (the lease is gone).
 */
export async function saveProcessSummary(summary: ProcessSummary): Promise<boolean> {
  const context = contexts.get(summary);
  if (context !== undefined) return context.save();
  // A summary this package did not create: save it where the seed would have, unowned (refused
  // while a live owner holds it).
  const store = unownedStoreFor('runs');
  try {
    try {
      await store.save(summary);
    } catch (err) {
      // The run directory went away since this store made it (the store forgets it on ENOENT
      // and gave the events back): a fresh store would have made it again, so this one does.
      if (errnoOf(err) !== 'ENOENT') throw err;
      await store.save(summary);
    }
    return true;
  } catch (err) {
    defaultLogger.error(
      { code: (err as { code?: string }).code, err },
      `could not save ${refName(summary)}: ${reason(err)}`,
    );
    return false;
  }
}

/**
 * The stores of `saveProcessSummary` for summaries this package did not create, one per
 * resolved root, reused: a new store per save read and validated the previous file again (to
 * know it may become the backup), checked the journal's tail and listed the directory, each
 * time. A reused store stays right when another process writes the files: the backup step
 * compares the file's identity (inode, size, mtime) with the version it wrote and validates
 * any other, the journal writer checks the tail again when the journal is not as it left it,
 * and the owner record is read at every save. Bounded: a process saving under many roots
 * drops the oldest store (which then only stops coalescing with a newer one's writes).
 */
const unownedStores = new Map<string, FileSummaryStore>();
const MAX_UNOWNED_STORES = 16;
let unownedFs: FileSystem | undefined;

/** The reused file store of unowned saves under `root` (resolved against the cwd now). */
export function unownedStoreFor(root: string): FileSummaryStore {
  const key = resolve(root);
  let store = unownedStores.get(key);
  if (store === undefined) {
    if (unownedStores.size >= MAX_UNOWNED_STORES) {
      unownedStores.delete(unownedStores.keys().next().value as string);
    }
    store = new FileSummaryStore({
      root: key,
      logger: defaultLogger,
      ...(unownedFs === undefined ? {} : { fs: unownedFs }),
    });
    unownedStores.set(key, store);
  }
  return store;
}

/** For tests: the file system of the unowned saves' stores from now on (forgets the stores). */
export function useFileSystemForUnownedSaves(fs: FileSystem | undefined): void {
  unownedFs = fs;
  unownedStores.clear();
}

function errnoOf(err: unknown): string | undefined {
  const cause = (err as { cause?: { code?: unknown } } | null)?.cause;
  return typeof cause?.code === 'string' ? cause.code : undefined;
}

/** What `createProcessSummary` found on resume, or null for a new run. */
export function resumeInfo(summary: ProcessSummary): ResumeClassification | null {
  return contexts.get(summary)?.resume ?? null;
}

/** Stops this process's bookkeeping of the summary (heartbeat, handlers) and gives up ownership. */
export async function releaseProcessSummary(summary: ProcessSummary): Promise<void> {
  await contexts.get(summary)?.close();
}

/**
 * Removes the summary and its history with this process's lease, then gives up ownership
 * (the seed's cleanup). Resolves `undefined` for a summary this package did not create.
 */
export async function removeProcessSummary(summary: ProcessSummary): Promise<boolean | undefined> {
  return contexts.get(summary)?.remove();
}

async function archive(
  store: SummaryStore,
  ref: SummaryRef,
  lease: Lease,
  logger: Logger,
): Promise<void> {
  const archivedAs = await store.archive(ref, lease);
  if (archivedAs !== null) {
    logger.info({ path: archivedAs }, `archived the previous summary as ${archivedAs}`);
  }
}
