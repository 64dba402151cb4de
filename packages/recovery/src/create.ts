import { mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import {
  assertValidName,
  type Clock,
  codedRangeError,
  codedTypeError,
  ProcessSummary,
  resolveLimits,
  type SummaryLimits,
  type SummaryStore,
  systemClock,
} from '@process-summary/core';
import {
  defaultLogger,
  FileSummaryStore,
  type Logger,
  nodeFileSystem,
  syncDirectory,
} from '@process-summary/store-fs';
import { classifyResume, type ResumeClassification } from './classify.js';
import { currentProcess } from './host.js';
import { acquireOwnership, ownerPathFor } from './lease.js';
import { RunContext, reason } from './run-context.js';

/** Options of {@link createProcessSummary}; every one is optional. */
export interface CreateProcessSummaryOptions {
  /** Where summaries live when no `store` is given. Default `runs` (under the cwd). */
  root?: string;
  /** Any `SummaryStore`; default a `FileSummaryStore` under `root`. */
  store?: SummaryStore;
  /** Where warnings and errors go; pino-compatible. Default: stderr. */
  logger?: Logger;
  /** Start over: the existing summary is archived beside it (never deleted). */
  fresh?: boolean;
  /** Checkpoint and save this often, in seconds; 0 turns it off. Default 30. */
  heartbeatSeconds?: number;
  /** Record SIGINT/SIGTERM and exits without `endProcess`. Default true. */
  handleSignals?: boolean;
  /** The seed's rule on resume: no checkpoint for longer than this. Default 300. */
  interruptionThresholdSeconds?: number;
  /** An owner on another host is gone when silent for longer than this. Default: the interruption threshold. */
  staleAfterSeconds?: number;
  clock?: Clock;
  limits?: Partial<SummaryLimits>;
}

const contexts = new WeakMap<ProcessSummary, RunContext>();

/**
 * Creates or resumes the summary of (run, process) and starts a session of it in this
 * process: takes ownership (a second live process gets `E_CONCURRENT_RUN`), loads what the
 * file holds, classifies how the previous session ended (counting interruptions with the
 * seed's messages), starts the session, saves, and keeps it saved by a heartbeat. With
 * `handleSignals`, SIGINT/SIGTERM and an exit without `endProcess` are recorded durably.
 */
export async function createProcessSummary(
  runName: string,
  processName: string,
  options: CreateProcessSummaryOptions = {},
): Promise<ProcessSummary> {
  assertValidName('run', runName);
  assertValidName('process', processName);
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
  if (options.store !== undefined && !isStore(options.store)) {
    throw codedTypeError(
      'E_INVALID_ARGUMENT',
      'store must implement SummaryStore (load, save, remove, list)',
    );
  }
  if (options.root !== undefined && (typeof options.root !== 'string' || options.root === '')) {
    throw codedTypeError('E_INVALID_ARGUMENT', 'root must be a non-empty string');
  }
  resolveLimits(options.limits); // E_INVALID_LIMITS now, before anything is touched
  const logger = options.logger ?? defaultLogger;
  const clock = options.clock ?? systemClock;
  const root = options.root ?? 'runs';
  const store = options.store ?? new FileSummaryStore({ root, logger });
  if (options.fresh && store.archive === undefined) {
    throw codedRangeError(
      'E_UNSUPPORTED',
      'fresh: true needs a store that can archive (FileSummaryStore, MemorySummaryStore do)',
    );
  }
  const summaryOptions = {
    clock,
    interruptionThresholdSeconds: threshold,
    ...(options.limits === undefined ? {} : { limits: options.limits }),
  };

  const ownerPath =
    store instanceof FileSummaryStore
      ? ownerPathFor(store.pathFor(runName, processName))
      : ownerPathFor(join(root, runName, `process_summary_${processName}.json`));
  await makeDirectoryDurably(dirname(ownerPath));
  const { lease, previous } = await acquireOwnership(ownerPath, {
    runName,
    processName,
    clock,
    staleAfterSeconds: staleAfter,
  });

  try {
    if (options.fresh) await archive(store, runName, processName, logger);
    let summary: ProcessSummary | undefined;
    let resume: ResumeClassification | null = null;
    try {
      const loaded = await store.load(runName, processName, summaryOptions);
      for (const warning of loaded?.warnings ?? []) {
        logger.warn({ code: warning.code, path: warning.path }, warning.message);
      }
      summary = loaded?.summary;
    } catch (err) {
      // Only a corrupt summary (moved aside by the store, nothing deleted) is replaced by a new
      // one: the last resort the seed made the first. Anything else (an I/O error, a file
      // from a newer version) may hold a good history: refuse rather than overwrite it.
      if ((err as { code?: string }).code !== 'E_CORRUPT') throw err;
      logger.error({ code: 'E_CORRUPT', err }, `${reason(err)}; starting a new summary`);
    }
    if (summary !== undefined) {
      resume = classifyResume(summary, previous);
      if (resume.interrupted) {
        logger.warn(
          { run: runName, process: processName, reason: resume.previousEnd },
          `${runName}/${processName} resumes after an interruption: ${resume.detail}`,
        );
      }
    } else {
      summary = new ProcessSummary({ runName, processName, ...summaryOptions });
    }
    const me = currentProcess();
    summary.startProcess({ host: me.host, pid: me.pid, bootId: me.bootId });
    const context = new RunContext({
      summary,
      store,
      lease,
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
    await lease.release();
    throw err;
  }
}

function isStore(value: unknown): value is SummaryStore {
  const store = value as Partial<SummaryStore> | null;
  return (
    typeof store === 'object' &&
    store !== null &&
    typeof store.load === 'function' &&
    typeof store.save === 'function' &&
    typeof store.remove === 'function' &&
    typeof store.list === 'function'
  );
}

/**
 * Creates `dir` and makes each new directory entry durable (the parent of every directory
 * created is fsynced): otherwise a power loss could take the whole run directory, and the
 * saves inside it that had resolved.
 */
async function makeDirectoryDurably(dir: string): Promise<void> {
  const first = await mkdir(dir, { recursive: true });
  if (first === undefined) return;
  let created = resolve(dir);
  const top = resolve(first);
  for (;;) {
    await syncDirectory(nodeFileSystem, dirname(created));
    if (created === top) break;
    created = dirname(created);
  }
}

/**
 * Saves the summary; never throws. Returns `false` after logging the failure (disk full,
 * permission denied, read-only file system, ownership lost), keeping the in-memory state for
 * the next attempt. Saving an ended summary releases ownership and stops the heartbeat.
 */
export async function saveProcessSummary(summary: ProcessSummary): Promise<boolean> {
  const context = contexts.get(summary);
  if (context !== undefined) return context.save();
  // A summary this package did not create: save it where the seed would have.
  try {
    await new FileSummaryStore({ logger: defaultLogger }).save(summary);
    return true;
  } catch (err) {
    defaultLogger.error(
      { code: (err as { code?: string }).code, err },
      `could not save ${summary.runName}/${summary.processName}: ${reason(err)}`,
    );
    return false;
  }
}

/** What `createProcessSummary` found on resume, or null for a new run. */
export function resumeInfo(summary: ProcessSummary): ResumeClassification | null {
  return contexts.get(summary)?.resume ?? null;
}

/** Stops this process's bookkeeping of the summary (heartbeat, handlers) and gives up ownership. */
export async function releaseProcessSummary(summary: ProcessSummary): Promise<void> {
  await contexts.get(summary)?.close();
}

async function archive(
  store: SummaryStore,
  runName: string,
  processName: string,
  logger: Logger,
): Promise<void> {
  const archivedAs = (await store.archive?.(runName, processName)) ?? null;
  if (archivedAs !== null) {
    logger.info({ path: archivedAs }, `archived the previous summary as ${archivedAs}`);
  }
}
