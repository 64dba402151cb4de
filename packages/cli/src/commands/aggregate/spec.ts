import type { CommandSpec } from '../../spec.js';

export const spec: CommandSpec = {
  name: 'aggregate',
  arguments: '[--process NAME] [--since DATE]',
  summary: 'runs compared: rate, errors, trend',
  description: `Across runs, for each process name: one row per run with date, duration, items, rate and
error rate, totals, and the trend of the rate from run to run.`,
  options: [
    { name: 'process', type: 'string', value: 'NAME', description: 'only this process' },
    {
      name: 'since',
      type: 'string',
      value: 'DATE',
      description: 'only runs started on or after DATE (2025-06-01) or within a duration (7d)',
    },
  ],
  examples: ['summary-inspect aggregate --process collect --since 30d'],
};
