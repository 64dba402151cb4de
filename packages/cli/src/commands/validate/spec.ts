import type { CommandSpec } from '../../spec.js';

export const spec: CommandSpec = {
  name: 'validate',
  arguments: '<file...> | <run> [process]',
  summary: 'schema validation, precise messages',
  description: `Schema validation with the JSON path, expected and found value of every problem, of
files, or of the summaries of a run (or of one process, each worker on its own) in the store.
Exit 1 if any is invalid.`,
  options: [],
  examples: [
    'summary-inspect validate runs/*/process_summary_*.json',
    'summary-inspect validate harvard_2024 --json',
  ],
};
