import type { CommandSpec } from '../../spec.js';

export const spec: CommandSpec = {
  name: 'export',
  arguments: '<run> [process] --format FMT',
  summary: 'json, csv or prometheus',
  description: `  json         the summary with its displayed status (the list --json row, plus the file)
  csv          one header line, one line per summary
  prometheus   text exposition format 0.0.4, prefix pipeline_, for node_exporter's
               textfile collector; passes "promtool check metrics"`,
  options: [
    {
      name: 'format',
      type: 'string',
      value: 'FMT',
      description: 'json, csv or prometheus (--json alone means json)',
    },
  ],
  examples: [
    'summary-inspect export harvard_2024 --format prometheus > /var/lib/node_exporter/harvard.prom',
  ],
};
