/** `summary-inspect validate <file…>`: schema validation with precise messages. */
import type { Context } from '../../context.js';
import { CliError, EXIT } from '../../errors.js';
import { escapeControl, safeJson } from '../../render/format.js';
import { describeIssue, readSummaryFile } from '../../summary-file.js';

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

/** Validates every file named; exit 1 if any is invalid, 3 if none could be read. */
export async function runValidate(context: Context): Promise<number> {
  if (context.args.length === 0)
    throw new CliError('E_USAGE', 'validate expects one or more files');
  const results: ValidateResult[] = [];
  for (const path of context.args) {
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
