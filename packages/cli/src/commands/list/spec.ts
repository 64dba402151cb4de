import type { CommandSpec } from '../../spec.js';

export const spec: CommandSpec = {
  name: 'list',
  arguments: '',
  summary: 'one row per (run, process) (the default)',
  description: `One row per (run, process) under the root: status, processed / successful / failed,
success %, rate, errors, interruptions, last update, ETA.
Status is running, stale (running but its owner is gone or silent), completed,
completed with failures, failed or interrupted.`,
  options: [],
  examples: ['summary-inspect', 'summary-inspect list --root /data/runs --json'],
};
