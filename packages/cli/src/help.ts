/** `--help` texts, generated from the command specs the parser uses. */
import { COMMANDS, findCommand } from './commands/index.js';
import { GLOBAL_OPTIONS } from './global-options.js';
import { type OptionSpec, optionLabel } from './spec.js';

const LABEL_WIDTH = 21;

function optionLines(options: readonly OptionSpec[]): string {
  return options
    .map((o) => {
      const label = optionLabel(o);
      const pad = label.length + 2 >= LABEL_WIDTH ? `${label}  ` : label.padEnd(LABEL_WIDTH);
      return `  ${pad}${o.description}`;
    })
    .join('\n');
}

function globalOptions(): string {
  return `Options for every command:\n${optionLines(GLOBAL_OPTIONS)}`;
}

function usageLine(name: string, args: string): string {
  return `summary-inspect ${name === 'list' ? '[list]' : name}${args === '' ? '' : ` ${args}`}`;
}

/** The top-level help. */
export function mainHelp(): string {
  const left = COMMANDS.map((c) => `${c.spec.name} ${c.spec.arguments}`.trimEnd());
  const width = Math.max(...left.map((l) => l.length)) + 2;
  const commands = COMMANDS.map(
    (c, i) => `  ${(left[i] as string).padEnd(width)}${c.spec.summary}`,
  ).join('\n');
  return `summary-inspect — see how your pipelines are doing

Usage: summary-inspect [command] [arguments] [options]

Commands:
${commands}

${globalOptions()}

Exit codes: 0 ok, 1 invalid file(s) / watched process failed, 2 usage error,
3 not found or unreadable; check: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.

Examples:
  summary-inspect
  summary-inspect show harvard_2024 collect
  summary-inspect check harvard_2024 collect --max-error-rate 1,5
  summary-inspect export harvard_2024 --format prometheus`;
}

/** The help of one command: usage, description, its options, notes, examples, global options. */
export function commandHelp(name: string): string {
  const command = findCommand(name);
  if (command === undefined) return mainHelp();
  const { spec } = command;
  const parts = [usageLine(spec.name, spec.arguments), spec.description];
  if (spec.options.length > 0) parts.push(`Options:\n${optionLines(spec.options)}`);
  if (spec.notes !== undefined) parts.push(spec.notes);
  parts.push(`Examples:\n${spec.examples.map((e) => `  ${e}`).join('\n')}`);
  parts.push(globalOptions());
  return parts.join('\n\n');
}
