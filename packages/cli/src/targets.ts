/**
 * Resolving the `<run> [process] | <file>` arguments of a command against the root.
 */
import { existsSync, statSync } from 'node:fs';
import { assertValidName } from '@process-summary/core';
import { CliError } from './errors.js';
import { escapeControl } from './render/format.js';
import { type FoundSummary, scanRoot } from './scan.js';

/** A summary a command works on: a path, and the run and process when known from it. */
export interface Target {
  path: string;
  /** From the path (`{root}/{run}/process_summary_{process}.json`); undefined for a bare file. */
  runName?: string | undefined;
  processName?: string | undefined;
}

/** Options of {@link resolveTargets}. */
export interface ResolveOptions {
  /** Exactly one summary is wanted: a run with several processes is a usage error. */
  single?: boolean;
  /** The process name is required (events, repair). */
  requireProcess?: boolean;
  /** A path to a file is accepted (not for events and repair, which need run and process). */
  allowFile?: boolean;
  /** The (run, process) need not exist yet (watch waits for it). */
  allowMissing?: boolean;
}

/** Whether an argument names a file rather than a run: it has a path separator or ends in `.json`. */
function looksLikePath(argument: string): boolean {
  return argument.includes('/') || argument.endsWith('.json');
}

/** `{root}/{run}/process_summary_{process}.json` */
export function summaryPath(root: string, runName: string, processName: string): string {
  return `${root.replace(/\/+$/, '')}/${runName}/process_summary_${processName}.json`;
}

/**
 * The summaries named by `args`: a path to a file, a run (all its processes) or a run and a
 * process. Throws `E_USAGE` for a wrong number of arguments or a bad name, `E_NOT_FOUND`
 * naming what exists instead.
 */
export function resolveTargets(
  root: string,
  args: string[],
  options: ResolveOptions = {},
): Target[] {
  const [first, second, ...extra] = args;
  if (first === undefined) {
    throw new CliError(
      'E_USAGE',
      `a run${options.allowFile ? ', a run and a process, or a file' : ' and a process'} is required`,
    );
  }
  if (extra.length > 0)
    throw new CliError('E_USAGE', `unexpected argument ${quote(extra[0] ?? '')}`);
  if (options.allowFile && second === undefined && looksLikePath(first)) {
    if (!existsSync(first)) throw new CliError('E_NOT_FOUND', `${quote(first)}: no such file`);
    if (statSync(first).isDirectory()) {
      throw new CliError(
        'E_USAGE',
        `${quote(first)} is a directory: give a summary file, or a run name with --root`,
      );
    }
    return [{ path: first }];
  }
  checkName('run', first);
  if (second !== undefined) checkName('process', second);
  if (options.requireProcess && second === undefined) {
    throw new CliError('E_USAGE', `a process name is required after the run ${quote(first)}`);
  }
  const runDir = `${root.replace(/\/+$/, '')}/${first}`;
  if (second !== undefined) {
    const path = summaryPath(root, first, second);
    if (!options.allowMissing && !existsSync(path)) {
      const others = processesOf(root, first);
      if (!existsSync(runDir)) throw notFoundRun(root, first);
      throw new CliError(
        'E_NOT_FOUND',
        `no process ${quote(second)} in run ${quote(first)} (${path})${
          others.length > 0
            ? `; it has: ${others
                .map((s) => s.processName)
                .map(quote)
                .join(', ')}`
            : ''
        }`,
      );
    }
    return [{ path, runName: first, processName: second }];
  }
  if (!existsSync(runDir)) throw notFoundRun(root, first);
  const found = processesOf(root, first);
  if (found.length === 0)
    throw new CliError('E_NOT_FOUND', `run ${quote(first)} has no summary files (${runDir})`);
  if (options.single && found.length > 1) {
    throw new CliError(
      'E_USAGE',
      `run ${quote(first)} has several processes (${found.map((s) => quote(s.processName)).join(', ')}): name one`,
    );
  }
  return found.map((s) => ({ path: s.path, runName: s.runName, processName: s.processName }));
}

function processesOf(root: string, runName: string): FoundSummary[] {
  return scanRoot(root, runName).summaries;
}

function notFoundRun(root: string, runName: string): CliError {
  const runs = [...new Set(scanRoot(root).summaries.map((s) => s.runName))];
  const known =
    runs.length === 0
      ? ''
      : `; runs there: ${runs.slice(0, 10).map(quote).join(', ')}${runs.length > 10 ? ', …' : ''}`;
  return new CliError('E_NOT_FOUND', `no run ${quote(runName)} under ${quote(root)}${known}`);
}

function checkName(kind: 'run' | 'process', name: string): void {
  // core's message names the kind, the name and the reason already: passed on as it is.
  assertValidName(kind, name);
}

/** A name as it appears in a message: quoted, control characters escaped. */
export function quote(text: string): string {
  return `"${escapeControl(text)}"`;
}
