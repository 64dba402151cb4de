import type { CommandSpec } from '../../spec.js';

export const spec: CommandSpec = {
  name: 'events',
  arguments: '<run> <process[@worker]> [--follow]',
  summary: 'the journal, streamed',
  description: `The journal (every progress update, error, session start and end, interruption), oldest
first, streamed. --follow keeps printing appended events until Ctrl-C.`,
  options: [
    {
      name: 'follow',
      type: 'boolean',
      short: 'f',
      description: 'keep printing appended events until Ctrl-C',
    },
  ],
  examples: [
    `summary-inspect events harvard_2024 collect --json | jq 'select(.type=="error")'`,
    'summary-inspect events harvard_2024 collect --follow',
  ],
  longRunning: true,
};
