import type { CommandSpec } from '../../spec.js';

export const spec: CommandSpec = {
  name: 'copy',
  arguments: '--to URL [run [process[@worker]]]',
  summary: 'copy runs with their journals to another store',
  description: `Copies summaries, each with its whole journal, from the store read (--store, --root) to the
store named by --to (a directory, a file:// URL or postgres://…): everything, one run, one
process (all its workers) or one worker. Only the store contract is used, so any two stores
work: files to PostgreSQL and back, one directory to another. The source is only read.

Refused, with the reason, and nothing written for that summary: a source still owned by a
live process (stop it first: a copy of a run being written would be a torn snapshot), a
source that is not a valid summary (repair it first; a run with only a journal is rebuilt
by "summary-inspect repair", then copied), a journal with unreadable lines (see
--skip-bad-lines), a target owned by a live process, and a target that already holds the
summary or its history (see --replace). The other summaries are copied all the same.

A seed-format summary is written in the current format (its times stay relative). Each
copy is read back from the target and compared with the source. Exit 0 when everything
was copied, 1 when something was refused or failed, 3 when nothing matched.`,
  options: [
    {
      name: 'to',
      type: 'string',
      value: 'URL',
      description: 'the target store: a directory, a file:// URL or postgres://…[?schema=NAME]',
    },
    {
      name: 'replace',
      type: 'boolean',
      description:
        'a summary the target holds already (not live) is archived there (kept, never deleted), then copied over',
    },
    {
      name: 'skip-bad-lines',
      type: 'boolean',
      description:
        'copy a journal with unreadable lines without them (each one is reported); default: refuse it',
    },
  ],
  examples: [
    'summary-inspect copy --to postgres://ci@db.internal/pipelines',
    'summary-inspect copy harvard_2024 collect --to postgres://ci@db.internal/pipelines?schema=harvard',
    'summary-inspect copy --store postgres://ci@db.internal/pipelines harvard_2024 --to ./runs',
  ],
  // Ctrl-C stops between batches and takes back the summary being copied.
  longRunning: true,
};
