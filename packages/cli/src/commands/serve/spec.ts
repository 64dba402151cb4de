import type { CommandSpec } from '../../spec.js';

export const spec: CommandSpec = {
  name: 'serve',
  arguments: '',
  summary: 'the web dashboard, until Ctrl-C',
  description: `Serves the dashboard of the store (--root or --store) over HTTP and prints its URL:
an overview of every (run, process), a page per process with its chart, errors, sessions
and interruptions, updated live as pipelines save; a JSON API, /metrics for Prometheus and
/healthz. Read-only: nothing it serves changes a summary. Ctrl-C (or SIGTERM) stops it.
It listens on 127.0.0.1 unless --host says otherwise; any other address needs a token
(--token-file) unless --insecure says you mean it. With --rules FILE it also runs the
alerter of summary-inspect alert over the same store (the file is validated before
anything listens) and stops both.`,
  options: [
    {
      name: 'port',
      type: 'string',
      value: 'N',
      description: 'port to listen on (default 4177; 0 picks a free one)',
    },
    {
      name: 'host',
      type: 'string',
      value: 'ADDR',
      description: 'address to listen on (default 127.0.0.1)',
    },
    {
      name: 'base-path',
      type: 'string',
      value: 'PATH',
      description: 'serve under this path, behind a reverse proxy (e.g. /runs; default /)',
    },
    {
      name: 'token-file',
      type: 'string',
      value: 'FILE',
      description:
        'require the token in FILE (one line): Authorization: Bearer, or basic auth password',
    },
    {
      name: 'insecure',
      type: 'boolean',
      description: 'allow an address other than 127.0.0.1 without a token',
    },
    {
      name: 'rules',
      type: 'string',
      value: 'FILE',
      description: 'also send alerts by the rules in FILE (as summary-inspect alert does)',
    },
    {
      name: 'state-key',
      type: 'string',
      value: 'KEY',
      description: 'with --rules: where the alert state is kept (default alerts/default)',
    },
  ],
  notes: `/healthz never needs the token. Keep the token file private (chmod 600): serve warns
when others can read it.`,
  examples: [
    'summary-inspect serve',
    'summary-inspect serve --root /data/runs --port 8080',
    'summary-inspect serve --store postgres://reader@db/pipelines --host 0.0.0.0 --token-file ~/.dashboard-token',
    'summary-inspect serve --base-path /pipelines --stale-after 10m',
    'summary-inspect serve --root /data/runs --rules alerts.yaml',
  ],
  longRunning: true,
};
