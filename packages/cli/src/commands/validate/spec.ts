import type { CommandSpec } from '../../spec.js';

export const spec: CommandSpec = {
  name: 'validate',
  arguments: '<file...>',
  summary: 'schema validation, precise messages',
  description: `Schema validation with the JSON path, expected and found value of every problem.
Exit 1 if any file is invalid.`,
  options: [],
  examples: ['summary-inspect validate runs/*/process_summary_*.json'],
};
