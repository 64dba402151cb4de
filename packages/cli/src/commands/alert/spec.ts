import type { CommandSpec } from '../../spec.js';

export const spec: CommandSpec = {
  name: 'alert',
  arguments: '--rules FILE',
  summary: 'send alerts by the rules in FILE, until Ctrl-C',
  description: `Evaluates the rules of FILE (JSON or YAML, see the alerts README) over the store
(--root or --store) whenever a pipeline saves and every evaluate_every_seconds, and sends
each alert that starts firing, and its resolve, to the file's notifiers (webhook, Slack,
Alertmanager, command): once, then again every repeat_every_seconds while it fires. What
fired and what was sent is kept in the store (under --state-key), so a restart neither
sends it twice nor forgets a resolve. Ctrl-C (or SIGTERM) stops it after the deliveries
in flight. With --once: one evaluation, its deliveries, then exit (for cron): 0 when every
delivery was accepted, 1 when one failed after its retries.`,
  options: [
    {
      name: 'rules',
      type: 'string',
      value: 'FILE',
      description: 'the rules and notifiers (.json, .yaml or .yml); required',
    },
    {
      name: 'once',
      type: 'boolean',
      description: 'evaluate once, send, wait for the deliveries, exit',
    },
    {
      name: 'state-key',
      type: 'string',
      value: 'KEY',
      description:
        'where the alert state is kept in the store (default alerts/default; one per alerter)',
    },
  ],
  notes: `A rules file that does not validate is refused before anything is sent (exit 2), with
the JSON path of the mistake. Two alerters over one store need two state keys. When a run
is stale is the file's settings.stale_after (--stale-after does not apply).
Warnings and failed deliveries go to stderr; NODE_DEBUG=process-summary shows every send.`,
  examples: [
    'summary-inspect alert --rules alerts.yaml --root /data/runs',
    'summary-inspect alert --rules alerts.yaml --store postgres://alerter@db/pipelines',
    'summary-inspect alert --rules alerts.yaml --once   # from cron',
    'summary-inspect serve --rules alerts.yaml          # the same rules beside the dashboard',
  ],
  longRunning: true,
};
