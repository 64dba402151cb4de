/** Reading many summaries for a command: each read and judged, problems collected, never thrown. */
import type { Context } from './context.js';
import { judgeStatus, type StatusJudgement } from './status.js';
import { readSummaryFile, type SummaryFile } from './summary-file.js';
import { type SummaryRow, summaryRow } from './view.js';

/** A summary read, judged and described. */
export interface LoadedSummary {
  file: SummaryFile;
  judgement: StatusJudgement;
  row: SummaryRow;
}

/** A file that could not be used, for an error row or line. */
export interface LoadProblem {
  path: string;
  code: string;
  message: string;
}

/** Reads each path in order; a bad file becomes a problem, the others are still read. */
export async function loadSummaries(
  context: Context,
  paths: readonly string[],
  options: { fullValidation?: boolean } = {},
): Promise<{ loaded: LoadedSummary[]; problems: LoadProblem[] }> {
  const loaded: LoadedSummary[] = [];
  const problems: LoadProblem[] = [];
  const nowSeconds = context.now();
  for (const path of paths) {
    const read = readSummaryFile(path, {
      maxFileBytes: context.maxFileBytes,
      fullValidation: options.fullValidation ?? true,
    });
    if (!read.ok) {
      problems.push({ path, code: read.code, message: read.message });
      continue;
    }
    const judgement = await judgeStatus(read, {
      staleAfterSeconds: context.staleAfterSeconds,
      nowSeconds,
    });
    loaded.push({ file: read, judgement, row: summaryRow(read, judgement) });
  }
  return { loaded, problems };
}
