/** `summary-inspect export <run> [process] --format json|csv|prometheus`: inspect's formatters. */
import { FORMATTERS, formatterFor } from '@process-summary/inspect';
import type { Context } from '../../context.js';
import { CliError, EXIT } from '../../errors.js';
import { readTargets } from '../../read.js';
import { escapeControl } from '../../render/format.js';
import { resolveTargets } from '../../targets.js';

/** Exports the summaries named; exit 1 if one could not be read (the others are exported). */
export async function runExport(context: Context): Promise<number> {
  const names = FORMATTERS.map((f) => f.name);
  const format =
    (context.options.format as string | undefined) ?? (context.json ? 'json' : undefined);
  if (format === undefined || !names.includes(format)) {
    throw new CliError(
      'E_USAGE',
      `export needs --format ${names.join('|')}${format === undefined ? '' : ` (got "${format}")`}`,
    );
  }
  const formatter = formatterFor(format);
  const targets = await resolveTargets(context, context.args, { allowFile: true });
  const { views, problems } = await readTargets(context, targets);
  if (views.length === 0 && problems.length > 0) {
    const first = problems[0] as (typeof problems)[number];
    throw new CliError(
      first.code === 'E_INVALID_SUMMARY' ? 'E_INVALID_SUMMARY' : 'E_UNREADABLE',
      first.message,
    );
  }
  context.write(formatter.format(views));
  for (const problem of problems) context.warn(`error: ${escapeControl(problem.message)}`);
  return problems.length > 0 ? EXIT.invalid : EXIT.ok;
}
