/** `summary-inspect export <run> [process] --format json|csv|prometheus`. */
import type { Context } from '../../context.js';
import { toCsv } from '../../csv.js';
import { CliError, EXIT } from '../../errors.js';
import { loadSummaries } from '../../load.js';
import { toPrometheus } from '../../prometheus.js';
import { escapeControl, safeJson } from '../../render/format.js';
import { resolveTargets } from '../../targets.js';
import { showJson } from '../show/run.js';

const FORMATS = ['json', 'csv', 'prometheus'] as const;

/** Exports the summaries named; exit 1 if one could not be read (the others are exported). */
export async function runExport(context: Context): Promise<number> {
  const format =
    (context.options.format as string | undefined) ?? (context.json ? 'json' : undefined);
  if (format === undefined || !(FORMATS as readonly string[]).includes(format)) {
    throw new CliError(
      'E_USAGE',
      `export needs --format ${FORMATS.join('|')}${format === undefined ? '' : ` (got "${format}")`}`,
    );
  }
  const targets = resolveTargets(context.root, context.args, { allowFile: true });
  const { loaded, problems } = await loadSummaries(
    context,
    targets.map((t) => t.path),
  );
  if (loaded.length === 0 && problems.length > 0) {
    const first = problems[0] as (typeof problems)[number];
    throw new CliError(
      first.code === 'E_INVALID_SUMMARY' ? 'E_INVALID_SUMMARY' : 'E_UNREADABLE',
      first.message,
    );
  }
  if (format === 'prometheus') context.write(toPrometheus(loaded));
  else if (format === 'csv') context.write(toCsv(loaded.map((l) => l.row)));
  else context.write(`${safeJson({ summaries: loaded.map(showJson) })}\n`);
  for (const problem of problems) context.warn(`error: ${escapeControl(problem.message)}`);
  return problems.length > 0 ? EXIT.invalid : EXIT.ok;
}
