import type { CommandSpec } from '../../spec.js';

export const spec: CommandSpec = {
  name: 'watch',
  arguments: '<run> [process[@worker]]',
  summary: 'live view until the process ends',
  description: `Live view, redrawn when the store reports a change (and every --interval, default 1s):
progress bar with rate and ETA when the total is known, counters, latest progress
message, errors. Without a terminal, prints one line per change.
Exits 0 when the process completes, 1 when it fails or is interrupted.`,
  options: [
    {
      name: 'interval',
      type: 'string',
      value: 'DUR',
      description: 'redraw at least this often (default 1s)',
    },
  ],
  examples: [
    'summary-inspect watch harvard_2024 collect',
    'summary-inspect watch harvard_2024 collect | tee watch.log',
  ],
  longRunning: true,
};
