/**
 * `summary-inspect copy --to URL [run [process[@worker]]]`: copies summaries with their
 * journals between any two stores through the contract only. The source is only read
 * (`list`, `read`, `events`, `ownerStatus`); the target is written as an owner would
 * (`acquire`, `archive` with `--replace`, `save`, `release`), so its own fencing and
 * durability apply. For each summary: refuse before writing anything when it cannot be copied
 * whole, else rebuild it from its dict, feed the journal in batches through
 * `restoreEvents` + `save`, release, and read the copy back to compare.
 */
import {
  assertValidName,
  DEFAULT_LIMITS,
  type Lease,
  type ListedSummary,
  ProcessSummary,
  refName,
  type SummaryEvent,
  type SummaryRef,
  type SummaryStore,
  type ValidatedDict,
} from '@process-summary/core';
import type { Context } from '../../context.js';
import { CliError, EXIT } from '../../errors.js';
import { escapeControl, formatCount, safeJson } from '../../render/format.js';
import {
  type OpenedStore,
  openStore,
  sameStore,
  storeLabel,
  storeNamed,
} from '../../store-option.js';
import { listStore, parseProcessArgument } from '../../targets.js';

/** Journal events per `save` on the target: bounded memory whatever the journal's length. */
export const COPY_BATCH_EVENTS = 1000;

/** One summary in the report of `copy --json` (see README). */
export interface CopiedSummary {
  /** `run/process[@worker]`. */
  summary: string;
  run_name: string;
  process_name: string;
  worker: string | null;
  /** `copied`; `refused` (nothing written, `reason` says why); `failed` (an error while writing; see `reason`). */
  action: 'copied' | 'refused' | 'failed';
  reason: string | null;
  /** Journal events written to the target. */
  events: number;
  /** Unreadable journal lines left out (`--skip-bad-lines`), each as the source reported it. */
  skipped_lines: { cursor: string; message: string }[];
  /** The source was a seed-format file: written in the current format. */
  seed_format: boolean;
  /** Where the target's previous copy went (`--replace`), as the target says. */
  archived_as: string | null;
  /** What the copy noticed without failing (the source written meanwhile). */
  warnings: string[];
  /** The error code of a failure (`E_STORE_UNAVAILABLE`, `E_IO`, …), else null. */
  code: string | null;
}

/** What `copy --json` prints. */
export interface CopyReport {
  from: string;
  to: string;
  copied: number;
  not_copied: number;
  summaries: CopiedSummary[];
  /** Parts of the source its listing could not look at (nothing copied from them). */
  problems: { location: string; message: string }[];
}

/** A summary that will not be copied, for a reason said before anything was written. */
class Refusal extends Error {}

/** The copy was stopped (Ctrl-C). */
class Stopped extends Error {}

interface CopyOptions {
  replace: boolean;
  skipBadLines: boolean;
  staleAfterSeconds: number;
  signal: AbortSignal;
}

export async function runCopy(context: Context): Promise<number> {
  const to = context.options.to;
  if (typeof to !== 'string') {
    throw new CliError(
      'E_USAGE',
      'copy needs --to URL (a directory, a file:// URL or postgres://…)',
    );
  }
  const targetChoice = storeNamed({ value: to, source: '--to' });
  if (sameStore(context.storeChoice, targetChoice)) {
    throw new CliError('E_USAGE', `--to names the store copied from (${context.storeLabel})`);
  }
  const refs = await selectRefs(context);
  const opened: OpenedStore = await openStore(targetChoice, { maxFileBytes: context.maxFileBytes });
  const report: CopyReport = {
    from: context.storeLabel,
    to: storeLabel(targetChoice),
    copied: 0,
    not_copied: 0,
    summaries: [],
    problems: refs.problems,
  };
  const options: CopyOptions = {
    replace: context.options.replace === true,
    skipBadLines: context.options['skip-bad-lines'] === true,
    staleAfterSeconds: context.staleAfterSeconds,
    signal: context.signal,
  };
  let stopped = false;
  /** A store that cannot be reached: every summary after would fail the same way, one by one. */
  let unavailable = false;
  try {
    for (const listed of refs.summaries) {
      if (context.signal.aborted) {
        stopped = true;
        break;
      }
      const result = await copyOne(context.store, opened.store, listed, options);
      report.summaries.push(result);
      if (result.action === 'copied') report.copied += 1;
      else report.not_copied += 1;
      if (!context.json) printResult(context, result);
      if (context.signal.aborted) stopped = true;
      if (result.code === 'E_STORE_UNAVAILABLE') unavailable = true;
      if (stopped || unavailable) break;
    }
  } finally {
    await opened.close().catch(() => {});
  }
  const left = refs.summaries.length - report.summaries.length;
  report.not_copied += left;
  if (unavailable && left > 0 && !context.json) {
    context.warn(`the other ${left} not tried: a store cannot be reached`);
  }
  if (context.json) context.write(`${safeJson(report)}\n`);
  else {
    for (const p of report.problems) context.warn(`error: ${escapeControl(p.message)}`);
    context.write(
      `copied ${report.copied} of ${refs.summaries.length} ${refs.summaries.length === 1 ? 'summary' : 'summaries'} to ${escapeControl(report.to)}${stopped ? ' (stopped)' : ''}\n`,
    );
  }
  if (stopped) return 130;
  if (unavailable) return EXIT.notFound;
  return report.not_copied > 0 || report.problems.length > 0 ? EXIT.invalid : EXIT.ok;
}

/** The summaries named by the arguments, as the source lists them (each worker its own). */
async function selectRefs(
  context: Context,
): Promise<{ summaries: ListedSummary[]; problems: CopyReport['problems'] }> {
  const [runName, processArg, ...extra] = context.args;
  if (extra.length > 0) {
    throw new CliError('E_USAGE', `unexpected argument ${JSON.stringify(extra[0])}`);
  }
  if (runName !== undefined) assertValidName('run', runName);
  const named = processArg === undefined ? null : parseProcessArgument(processArg);
  const listing = await listStore(context, runName);
  const summaries = listing.summaries.filter(
    (s) =>
      named === null ||
      (s.processName === named.processName &&
        (named.worker === null || (s.worker ?? null) === named.worker)),
  );
  if (summaries.length === 0) {
    const what =
      runName === undefined
        ? 'no summaries'
        : `no summary ${processArg === undefined ? runName : `${runName}/${processArg}`}`;
    throw new CliError('E_NOT_FOUND', `${what} under ${context.storeLabel}`);
  }
  return {
    summaries,
    problems: listing.problems.map((p) => ({ location: p.location, message: p.message })),
  };
}

function printResult(context: Context, result: CopiedSummary): void {
  const name = escapeControl(result.summary);
  for (const line of result.skipped_lines) {
    context.warn(
      `warning: ${name}: left out an unreadable journal line: ${escapeControl(line.message)}`,
    );
  }
  for (const warning of result.warnings)
    context.warn(`warning: ${name}: ${escapeControl(warning)}`);
  if (result.action === 'copied') {
    const extras = [
      `${formatCount(result.events)} journal ${result.events === 1 ? 'event' : 'events'}`,
      ...(result.seed_format ? ['seed format, now in the current format'] : []),
      ...(result.archived_as === null
        ? []
        : [`the previous copy archived as ${escapeControl(result.archived_as)}`]),
    ];
    context.write(`copied ${name} (${extras.join('; ')})\n`);
  } else {
    context.warn(
      `${result.action === 'refused' ? 'refused' : 'error'}: ${name}: ${escapeControl(result.reason ?? '')}`,
    );
  }
}

/** Copies one summary; never throws for that summary's own problems (they are its result). */
async function copyOne(
  source: SummaryStore,
  target: SummaryStore,
  listed: ListedSummary,
  options: CopyOptions,
): Promise<CopiedSummary> {
  const ref: SummaryRef = {
    runName: listed.runName,
    processName: listed.processName,
    worker: listed.worker ?? null,
  };
  const result: CopiedSummary = {
    summary: refName(ref),
    run_name: ref.runName,
    process_name: ref.processName,
    worker: ref.worker ?? null,
    action: 'copied',
    reason: null,
    events: 0,
    skipped_lines: [],
    seed_format: false,
    archived_as: null,
    warnings: [],
    code: null,
  };
  try {
    await copyWithLease(source, target, ref, listed, options, result);
  } catch (err) {
    result.action = err instanceof Refusal ? 'refused' : 'failed';
    result.reason = err instanceof Stopped ? 'stopped (Ctrl-C)' : (err as Error).message;
    const code = (err as { code?: unknown }).code;
    result.code = typeof code === 'string' ? code : null;
  }
  return result;
}

async function copyWithLease(
  source: SummaryStore,
  target: SummaryStore,
  ref: SummaryRef,
  listed: ListedSummary,
  options: CopyOptions,
  result: CopiedSummary,
): Promise<void> {
  const name = refName(ref);
  // ---- the source, read only: whole, valid and not being written
  if (!listed.hasSummary) {
    throw new Refusal(
      `has history (a journal or set-aside copies) but no summary: rebuild it with "summary-inspect repair ${ref.runName} ${ref.worker == null ? ref.processName : `${ref.processName}@${ref.worker}`}" on the source, then copy it`,
    );
  }
  const owner = await source.ownerStatus(ref, { staleAfterSeconds: options.staleAfterSeconds });
  if (owner.state === 'alive' || owner.state === 'unknown') {
    throw new Refusal(
      `is still owned in the source (${owner.reason}): a run being written cannot be copied whole; copy it when its process has ended`,
    );
  }
  const read = await source.read(ref, { full: true });
  if (read === null || read.dict === null) {
    const problem = read?.problem?.message ?? `${name}: no summary any more`;
    throw new Refusal(
      `${problem}; only a valid summary is copied (see "summary-inspect validate" and "repair")`,
    );
  }
  result.seed_format = read.seedFormat;
  const journal = await scanJournal(source, ref, options.signal);
  if (journal.problems.length > 0 && !options.skipBadLines) {
    const first = journal.problems[0] as { message: string };
    throw new Refusal(
      `its journal has ${journal.problems.length} unreadable ${journal.problems.length === 1 ? 'line' : 'lines'} (first: ${first.message}); repair the journal, or copy it without them with --skip-bad-lines`,
    );
  }
  const summary = summaryOf(read.dict);
  // What the copy must read back as: the source's summary as this library writes it (a seed
  // file comes out in the current format; one of the current format exactly as it is).
  const expected = summary.getSummaryDict() as unknown as Record<string, unknown>;
  const changed = changedKey(read.dict as unknown as Record<string, unknown>, expected);
  if (changed !== undefined) {
    throw new Refusal(
      `would not be copied exactly (${changed} changes when it is read into a summary); nothing written`,
    );
  }

  // ---- the target: nobody live, nothing there unless --replace
  await refuseTarget(target, ref, options);
  let acquired: Awaited<ReturnType<SummaryStore['acquire']>>;
  try {
    acquired = await target.acquire(ref, { staleAfterSeconds: options.staleAfterSeconds });
  } catch (err) {
    if ((err as { code?: unknown }).code !== 'E_CONCURRENT_RUN') throw err;
    throw new Refusal(`the target: ${(err as Error).message}`);
  }
  const { lease } = acquired;
  let written = false;
  try {
    await refuseSameStore(source, ref, lease, options);
    // Asked again under the lease: something may have arrived since the first look.
    if ((await target.read(ref, { full: false })) !== null) {
      if (!options.replace) throw new Refusal(alreadyThere());
      result.archived_as = await target.archive(ref, lease);
    }
    written = true;
    await writeCopy(source, target, ref, summary, lease, options, result);
  } catch (err) {
    if (written) await undo(target, ref, lease, err);
    throw err;
  } finally {
    await target.release(lease).catch(() => {});
  }
  await verify(source, target, ref, read, expected, journal.events, result);
}

/**
 * The summary of a stored dict, keeping all it keeps: the file holds as many progress updates
 * and sessions as the limits of the process that wrote it allowed, which may be more than the
 * defaults (the other limits do not cut what is read back).
 */
function summaryOf(dict: ValidatedDict): ProcessSummary {
  const sessions = (dict as { sessions?: unknown[] }).sessions?.length ?? 0;
  return ProcessSummary.fromDict(dict, {
    limits: {
      maxProgressUpdates: Math.max(DEFAULT_LIMITS.maxProgressUpdates, dict.progress_updates.length),
      maxSessions: Math.max(DEFAULT_LIMITS.maxSessions, sessions),
    },
  });
}

/**
 * A key of the source that reading it into a summary would change, for a source of the
 * current format (an older one is converted, as a pipeline resuming it would). Keys the
 * summary does not write (a store's own stamp, such as the file store's `owner_epoch`) are not
 * the summary's.
 */
function changedKey(
  source: Record<string, unknown>,
  expected: Record<string, unknown>,
): string | undefined {
  if (source.schema_version !== expected.schema_version) return undefined;
  return Object.keys(source).find(
    (key) => key in expected && canonical(source[key]) !== canonical(expected[key]),
  );
}

/** Refuses a target that a live process owns, or that holds the summary already (without --replace). */
async function refuseTarget(target: SummaryStore, ref: SummaryRef, options: CopyOptions) {
  const owner = await target.ownerStatus(ref, { staleAfterSeconds: options.staleAfterSeconds });
  if (owner.state === 'alive' || owner.state === 'unknown') {
    throw new Refusal(`is owned in the target (${owner.reason}); a live run is never overwritten`);
  }
  if (!options.replace && (await target.read(ref, { full: false })) !== null) {
    throw new Refusal(alreadyThere());
  }
}

/**
 * The same store under another name (a symlinked directory, another host name of the same
 * server): the source now has an owner, and it is this lease. Asked before anything is
 * written: `--replace` would otherwise archive the very summary it is about to copy.
 */
async function refuseSameStore(
  source: SummaryStore,
  ref: SummaryRef,
  lease: Lease,
  options: CopyOptions,
): Promise<void> {
  const owner = await source.ownerStatus(ref, { staleAfterSeconds: options.staleAfterSeconds });
  if (
    owner.state === 'alive' &&
    owner.owner?.pid === process.pid &&
    owner.owner.epoch === lease.epoch
  ) {
    throw new Refusal('--to is the store copied from, under another name; nothing was copied');
  }
}

function alreadyThere(): string {
  return 'the target holds this summary (or its history) already; --replace archives it there (kept) and copies over it';
}

/** Counts the journal's events and collects its unreadable lines, before anything is written. */
async function scanJournal(
  store: SummaryStore,
  ref: SummaryRef,
  signal: AbortSignal,
): Promise<{ events: number; problems: { cursor: string; message: string }[] }> {
  let events = 0;
  const problems: { cursor: string; message: string }[] = [];
  for await (const record of store.events(ref, { signal })) {
    if (signal.aborted) throw new Stopped();
    if (record.event !== null) events += 1;
    else problems.push({ cursor: record.cursor, message: record.problem.message });
  }
  if (signal.aborted) throw new Stopped();
  return { events, problems };
}

/** The dict and the journal, in batches; the dict is saved at least once (a run without journal). */
async function writeCopy(
  source: SummaryStore,
  target: SummaryStore,
  ref: SummaryRef,
  summary: ProcessSummary,
  lease: Lease,
  options: CopyOptions,
  result: CopiedSummary,
): Promise<void> {
  let batch: SummaryEvent[] = [];
  const flush = async () => {
    summary.restoreEvents(batch);
    await target.save(summary, lease);
    result.events += batch.length;
    batch = [];
  };
  for await (const record of source.events(ref, { signal: options.signal })) {
    if (options.signal.aborted) throw new Stopped();
    if (record.event === null) {
      // Seen by the scan (and allowed by --skip-bad-lines), or written since: either way said.
      if (!options.skipBadLines) {
        throw new Error(
          `an unreadable journal line appeared in the source during the copy (${record.problem.message}); nothing kept`,
        );
      }
      result.skipped_lines.push({ cursor: record.cursor, message: record.problem.message });
      continue;
    }
    batch.push(record.event);
    if (batch.length === COPY_BATCH_EVENTS) await flush();
  }
  if (options.signal.aborted) throw new Stopped();
  await flush();
}

/** Takes back a partial copy (the target held nothing of it, or its copy was archived). */
async function undo(target: SummaryStore, ref: SummaryRef, lease: Lease, cause: unknown) {
  if (cause instanceof Refusal) return;
  try {
    await target.remove(ref, lease);
  } catch (err) {
    const message = (cause as Error).message;
    (cause as Error).message =
      `${message}; the partial copy could not be taken back (${(err as Error).message}): copy again with --replace`;
  }
}

/**
 * Reads the copy back: the dict must be what the source's summary gives, and the journal as
 * long as the source's. A source written during the copy is said (a process took it over).
 */
async function verify(
  source: SummaryStore,
  target: SummaryStore,
  ref: SummaryRef,
  before: { writtenAt: number | null; epoch: number | null },
  expected: Record<string, unknown>,
  sourceEvents: number,
  result: CopiedSummary,
): Promise<void> {
  const copy = await target.read(ref, { full: true });
  if (copy?.dict == null) {
    throw new Error(
      `the copy cannot be read back from the target (${copy?.problem?.message ?? 'not found'})`,
    );
  }
  // Keys a store stamps on what it writes (the file store's owner_epoch) are its own.
  const got = copy.dict as unknown as Record<string, unknown>;
  const differs = Object.keys(expected).find(
    (key) => canonical(got[key]) !== canonical(expected[key]),
  );
  if (differs !== undefined) {
    throw new Error(
      `the copy read back from the target differs from the source summary (${differs}); it is left there for a look`,
    );
  }
  let copied = 0;
  for await (const record of target.events(ref)) if (record.event !== null) copied += 1;
  if (copied !== result.events) {
    throw new Error(
      `the target's journal holds ${copied} events after the copy, ${result.events} were written`,
    );
  }
  const after = await source.read(ref, { full: false });
  if (
    result.events !== sourceEvents ||
    after?.writtenAt !== before.writtenAt ||
    after?.epoch !== before.epoch
  ) {
    result.warnings.push(
      'the source was written during the copy (a process resumed it?): the copy may miss the latest; copy again with --replace once it has ended',
    );
  }
}

/** JSON with sorted keys: a database may keep a document's keys in another order. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) =>
            a < b ? -1 : a > b ? 1 : 0,
          ),
        )
      : v,
  );
}
