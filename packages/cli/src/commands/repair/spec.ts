import type { CommandSpec } from '../../spec.js';

export const spec: CommandSpec = {
  name: 'repair',
  arguments: '<run> <process>',
  summary: 'restore from the previous good version or the journal',
  description: `Restores a missing or corrupt summary from its previous good version (.bak), moving the
bad file aside as ….corrupt-<time>; without a usable .bak, rebuilds it from the journal
(custom metrics and items_total are lost; the output says what else). Lists the
quarantined files. Never deletes. Refuses while a live process owns the summary.`,
  options: [],
  examples: ['summary-inspect repair harvard_2024 collect'],
};
