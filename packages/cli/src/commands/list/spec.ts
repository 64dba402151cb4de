import type { CommandSpec } from '../../spec.js';

export const spec: CommandSpec = {
  name: 'list',
  arguments: '',
  summary: 'one row per (run, process) (the default)',
  description: `One row per (run, process) under the root: status, processed / successful / failed,
success %, rate, errors, interruptions, last update, ETA.
Status is running, crashed (its owner died), stale (no owner to judge and silent past
--stale-after), completed, completed with failures, failed or interrupted. A process run
as workers is one row, with a line per worker; a run with only a journal needs repair.`,
  options: [],
  examples: ['summary-inspect', 'summary-inspect list --root /data/runs --json'],
};
