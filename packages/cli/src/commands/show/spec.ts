import type { CommandSpec } from '../../spec.js';

export const spec: CommandSpec = {
  name: 'show',
  arguments: '<run> [process[@worker]] | <file>',
  summary: 'everything about one summary',
  description: `Everything about one summary: identity and status, timing, counters with rates and ETA,
errors by type, last error, the five most recent progress updates, custom metrics,
sessions; a process run as workers merged, with a line per worker. Seed-format files
(written by the Python original) show times as +12.3s.`,
  options: [],
  examples: [
    'summary-inspect show harvard_2024 collect',
    'summary-inspect show sharded collect@w2',
    'summary-inspect show runs/harvard_2024/process_summary_collect.json --json',
  ],
};
