/**
 * A FIFO, socket, directory or symbolic link where a summary's journal, backup or owner
 * record belongs: `show`, `validate` and `repair` say so on stderr, one warning line each, at
 * once. The store only looks at such a file (`lstat`): it is never opened (a FIFO would
 * block), never followed (a link may point out of the root), never moved. `events` and the
 * pipeline refuse it with a coded error; a reader of the summary can still read the summary,
 * so here it is a warning, not a failure.
 */
import { refName, type SummaryRef } from '@process-summary/core';
import type { Context } from './context.js';
import { escapeControl } from './render/format.js';

/** Warns about each odd file of `ref`; resolves how many there were. */
export async function warnOddFiles(context: Context, ref: SummaryRef): Promise<number> {
  if (context.oddFiles === undefined) return 0;
  const odd = await context.oddFiles(ref);
  for (const file of odd) {
    const article = /^[aeiou]/.test(file.kind) ? 'an' : 'a';
    context.warn(
      `warning: ${escapeControl(refName(ref))}: ${escapeControl(file.path)}, where its ${file.role} belongs, is ${article} ${file.kind}, not a regular file; not opened, not followed: move it away`,
    );
  }
  return odd.length;
}
