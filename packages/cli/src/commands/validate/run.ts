/**
 * `summary-inspect validate <file…> | <run> [process[@worker]]`: schema validation with
 * precise messages, of files named on the command line or of summaries of the store (each
 * worker's on its own), read in full through the store's `read`.
 */
import { refName } from '@process-summary/core';
import type { Context } from '../../context.js';
import { CliError, EXIT } from '../../errors.js';
import { warnOddFiles } from '../../odd-files.js';
import { escapeControl, safeJson } from '../../render/format.js';
import { describeIssue, readSummaryFile } from '../../summary-file.js';
import { listStore, looksLikePath, parseProcessArgument } from '../../targets.js';

/** One file's verdict, as `validate --json` reports it (see README). */
export interface ValidateResult {
  path: string;
  valid: boolean;
  seed_format: boolean | null;
  /** `E_NOT_FOUND`, `E_UNREADABLE`, `E_INVALID_SUMMARY`, `E_UNSUPPORTED_VERSION`; null when valid. */
  code: string | null;
  issues: { path: string; message: string; expected: string | null; found: string | null }[];
  /** For a file that could not be read or parsed: why. */
  message: string | null;
}

/** The verdicts on the summaries of the store named by `<run> [process[@worker]]`. */
async function validateStored(context: Context, args: string[]): Promise<ValidateResult[]> {
  const [runName, processArg, ...extra] = args as [string, string | undefined, ...string[]];
  if (extra.length > 0) {
    throw new CliError('E_USAGE', 'validate takes files, or a run and optionally a process');
  }
  const named = processArg === undefined ? null : parseProcessArgument(processArg);
  const listing = await listStore(context, runName);
  const refs = listing.summaries.filter(
    (s) =>
      named === null ||
      (s.processName === named.processName &&
        (named.worker === null || (s.worker ?? null) === named.worker)),
  );
  if (refs.length === 0) {
    throw new CliError(
      'E_NOT_FOUND',
      `no summary ${escapeControl(processArg === undefined ? runName : `${runName}/${processArg}`)} under ${escapeControl(context.storeLabel)}`,
    );
  }
  const results: ValidateResult[] = [];
  for (const ref of refs) {
    await warnOddFiles(context, ref);
    const read = await context.store.read(ref, { full: true });
    const location = read?.location ?? refName(ref);
    const problem = read?.problem ?? null;
    if (read !== null && problem === null) {
      results.push({
        path: location,
        valid: true,
        seed_format: read.seedFormat,
        code: null,
        issues: [],
        message: null,
      });
      continue;
    }
    results.push({
      path: location,
      valid: false,
      seed_format: null,
      code: problem?.code ?? 'E_NOT_FOUND',
      issues: (problem?.issues ?? []).map((i) => ({
        path: i.path,
        message: i.message,
        expected: null,
        found: null,
      })),
      message: (problem?.issues.length ?? 0) > 0 ? null : (problem?.message ?? 'no summary'),
    });
  }
  return results;
}

/** Validates every file or stored summary named; exit 1 if any is invalid, 3 if none could be read. */
export async function runValidate(context: Context): Promise<number> {
  if (context.args.length === 0)
    throw new CliError('E_USAGE', 'validate expects one or more files, or a run');
  const stored = !looksLikePath(context.args[0] as string);
  const results: ValidateResult[] = stored ? await validateStored(context, context.args) : [];
  for (const path of stored ? [] : context.args) {
    const read = readSummaryFile(path, { maxFileBytes: context.maxFileBytes });
    if (read.ok) {
      results.push({
        path,
        valid: true,
        seed_format: read.seedFormat,
        code: null,
        issues: [],
        message: null,
      });
      continue;
    }
    results.push({
      path,
      valid: false,
      seed_format: null,
      code: read.code,
      issues: read.issues.map((i) => ({
        path: i.path,
        message: i.message,
        expected: i.expected ?? null,
        found: i.found ?? null,
      })),
      message: read.issues.length > 0 ? null : read.message,
    });
  }
  if (context.json) {
    context.write(`${safeJson({ files: results })}\n`);
  } else {
    const { colors } = context;
    for (const r of results) {
      const name = escapeControl(r.path);
      if (r.valid) {
        context.write(
          `${colors.green('valid')}    ${name}${r.seed_format ? ' (seed format)' : ''}\n`,
        );
        continue;
      }
      context.write(`${colors.red('invalid')}  ${name}\n`);
      if (r.issues.length === 0) {
        context.write(`  ${escapeControl(r.message ?? 'unreadable')}\n`);
      }
      for (const issue of r.issues) {
        context.write(
          `  ${escapeControl(describeIssue({ ...issue, expected: issue.expected ?? undefined, found: issue.found ?? undefined }))}\n`,
        );
      }
    }
  }
  const unreadable = results.filter((r) => r.code === 'E_NOT_FOUND' || r.code === 'E_UNREADABLE');
  if (unreadable.length === results.length) return EXIT.notFound;
  return results.every((r) => r.valid) ? EXIT.ok : EXIT.invalid;
}
