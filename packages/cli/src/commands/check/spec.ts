import type { CommandSpec } from '../../spec.js';

export const spec: CommandSpec = {
  name: 'check',
  arguments: '<run> [process] [thresholds]',
  summary: 'Nagios-style alert: exit 0/1/2/3',
  description: `Alerting for cron and CI, Nagios plugin convention: one status line,
exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.`,
  options: [
    {
      name: 'max-error-rate',
      type: 'string',
      value: 'P',
      description: 'failed / attempted, in percent',
    },
    { name: 'max-failed', type: 'string', value: 'N', description: 'failed items' },
    {
      name: 'min-rate',
      type: 'string',
      value: 'R',
      description: 'items per second while running',
    },
    {
      name: 'require-completed',
      type: 'boolean',
      description: 'anything but completed is CRITICAL',
    },
  ],
  notes: `A threshold is N (CRITICAL past it) or WARN,CRIT (e.g. --max-error-rate 1,5).
A warning past its critical threshold is refused. Failed, crashed (its owner died) or
stale is CRITICAL; interrupted is WARNING. --stale-after sets the silence after which a
running process nothing can judge is stale.`,
  examples: [
    'summary-inspect check harvard_2024 collect --max-error-rate 1,5 --stale-after 10m',
    'summary-inspect check nightly --require-completed --max-failed 0',
  ],
};
