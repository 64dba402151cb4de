/**
 * Resolving the `<run> [process[@worker]] | <file>` arguments of a command against the store.
 * Names are checked by core; what exists is asked of the store (`list`), never guessed from
 * paths.
 */
import { statSync } from 'node:fs';
import { assertValidName, type Listing, type SummaryRef } from '@process-summary/core';
import type { Context } from './context.js';
import { CliError } from './errors.js';
import { escapeControl } from './render/format.js';

/** What a command works on: a summary of the store (a process, merged over its workers, or one worker), or a bare file. */
export type Target = { kind: 'ref'; ref: SummaryRef } | { kind: 'file'; path: string };

/** Options of {@link resolveTargets}. */
export interface ResolveOptions {
  /** Exactly one summary is wanted: a run with several processes is a usage error. */
  single?: boolean;
  /** The process name is required (events, repair). */
  requireProcess?: boolean;
  /** A path to a file is accepted (not for events and repair, which need run and process). */
  allowFile?: boolean;
  /** The (run, process) need not exist yet (watch waits for it; repair may find only history). */
  allowMissing?: boolean;
}

/** Whether an argument names a file rather than a run: it has a path separator or ends in `.json`. */
export function looksLikePath(argument: string): boolean {
  return argument.includes('/') || argument.endsWith('.json');
}

/**
 * `process` or `process@worker` (the contract's name of a worker's summary; `@` is refused in
 * process and worker names, so the split is unambiguous).
 */
export function parseProcessArgument(text: string): { processName: string; worker: string | null } {
  const at = text.indexOf('@');
  const processName = at === -1 ? text : text.slice(0, at);
  const worker = at === -1 ? null : text.slice(at + 1);
  assertValidName('process', processName);
  if (worker !== null) assertValidName('worker', worker);
  return { processName, worker };
}

/**
 * Throws for a listing problem that concerns the store itself (a missing or unreadable root):
 * that is an error of the command, not a row among others.
 */
export function throwIfStoreUnusable(context: Context, problems: Listing['problems']): void {
  // Only the root itself can be missing from a listing; an unreadable root is named by location.
  const problem = problems.find(
    (p) => p.code === 'E_NOT_FOUND' || p.location === context.storeLabel,
  );
  if (problem === undefined) return;
  throw new CliError(
    problem.code === 'E_NOT_FOUND' ? 'E_NOT_FOUND' : 'E_UNREADABLE',
    problem.code === 'E_NOT_FOUND'
      ? `${context.storeLabel}: no such directory (set --root, --store or PROCESS_SUMMARY_STORE)`
      : problem.message,
  );
}

/** The listing of the store (or one run of it); a missing or unreadable root is an error. */
export async function listStore(context: Context, runName?: string): Promise<Listing> {
  const listing = await context.store.list(runName === undefined ? {} : { runName });
  throwIfStoreUnusable(context, listing.problems);
  return listing;
}

/**
 * The summaries named by `args`: a path to a file, a run (each of its processes), or a run and
 * a process (`process@worker` for one worker). Throws `E_USAGE` for a wrong number of
 * arguments, `E_INVALID_NAME` for a bad name, `E_NOT_FOUND` naming what exists instead.
 */
export async function resolveTargets(
  context: Context,
  args: string[],
  options: ResolveOptions = {},
): Promise<Target[]> {
  const [first, second, ...extra] = args;
  if (first === undefined) {
    throw new CliError(
      'E_USAGE',
      `a run${options.allowFile ? ', a run and a process, or a file' : ' and a process'} is required`,
    );
  }
  if (extra.length > 0) {
    throw new CliError('E_USAGE', `unexpected argument ${quote(extra[0] ?? '')}`);
  }
  if (options.allowFile && second === undefined && looksLikePath(first)) {
    let isDirectory = false;
    try {
      isDirectory = statSync(first).isDirectory();
    } catch {
      throw new CliError('E_NOT_FOUND', `${quote(first)}: no such file`);
    }
    if (isDirectory) {
      throw new CliError(
        'E_USAGE',
        `${quote(first)} is a directory: give a summary file, or a run name with --root`,
      );
    }
    return [{ kind: 'file', path: first }];
  }
  assertValidName('run', first);
  const named = second === undefined ? null : parseProcessArgument(second);
  if (options.requireProcess && named === null) {
    throw new CliError('E_USAGE', `a process name is required after the run ${quote(first)}`);
  }
  if (named !== null) {
    const ref: SummaryRef = {
      runName: first,
      processName: named.processName,
      worker: named.worker,
    };
    if (options.allowMissing) return [{ kind: 'ref', ref }];
    const listing = await listStore(context, first);
    const match = listing.summaries.filter(
      (s) =>
        s.processName === named.processName &&
        (named.worker === null || (s.worker ?? null) === named.worker),
    );
    if (match.length > 0) return [{ kind: 'ref', ref }];
    if (listing.summaries.length === 0) throw await notFoundRun(context, first);
    const processes = [...new Set(listing.summaries.map((s) => s.processName))];
    throw new CliError(
      'E_NOT_FOUND',
      `no process ${quote(second ?? '')} in run ${quote(first)}; it has: ${processes.map(quote).join(', ')}`,
    );
  }
  const listing = await listStore(context, first);
  const processes = [...new Set(listing.summaries.map((s) => s.processName))];
  if (processes.length === 0) throw await notFoundRun(context, first);
  if (options.single && processes.length > 1) {
    throw new CliError(
      'E_USAGE',
      `run ${quote(first)} has several processes (${processes.map(quote).join(', ')}): name one`,
    );
  }
  return processes.map((processName) => ({
    kind: 'ref' as const,
    ref: { runName: first, processName, worker: null },
  }));
}

async function notFoundRun(context: Context, runName: string): Promise<CliError> {
  // The run directory is there but was refused (unreadable, a link out of the root): say so.
  const own = (await listStore(context, runName)).problems[0];
  if (own !== undefined) return new CliError('E_UNREADABLE', own.message);
  const listing = await listStore(context);
  const runs = [...new Set(listing.summaries.map((s) => s.runName))];
  const known =
    runs.length === 0
      ? ''
      : `; runs there: ${runs.slice(0, 10).map(quote).join(', ')}${runs.length > 10 ? ', …' : ''}`;
  return new CliError(
    'E_NOT_FOUND',
    `no run ${quote(runName)} under ${quote(context.storeLabel)}${known}`,
  );
}

/** A name as it appears in a message: quoted, control characters escaped. */
export function quote(text: string): string {
  return `"${escapeControl(text)}"`;
}
