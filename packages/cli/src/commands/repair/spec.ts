import type { CommandSpec } from '../../spec.js';

export const spec: CommandSpec = {
  name: 'repair',
  arguments: '<run> <process[@worker]>',
  summary: 'restore from the previous good version or the journal',
  description: `Takes the summary's lease and lets the store repair it: the file store moves a bad file
aside as ….corrupt-<time> and restores the previous good version (.bak), or without one
rebuilds it from the journal (custom metrics and items_total are lost; the output says
what else). Lists the copies set aside. Never deletes. Refuses while a live process owns
the summary.`,
  options: [],
  examples: ['summary-inspect repair harvard_2024 collect'],
};
