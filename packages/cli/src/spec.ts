/**
 * The shape of a command's spec: its options, usage, description and examples. One spec per
 * command (`commands/<name>/spec.ts`) feeds both the option parser and the `--help` text, so
 * an option cannot be accepted without being documented, nor documented without being parsed.
 */
import type { Context } from './context.js';

/** One command-line option. */
export interface OptionSpec {
  /** The long name, without `--`. */
  name: string;
  /** `boolean` is a flag; `string` takes a value. */
  type: 'boolean' | 'string';
  /** A one-letter alias, without `-`. */
  short?: string;
  /** What the value looks like in the help (`DIR`, `DUR`, `N`); string options only. */
  value?: string;
  /** One line for the help. */
  description: string;
}

/** One command: what it is called, what it takes, how it is documented. */
export interface CommandSpec {
  name: string;
  /** The arguments, as the help's first line shows them (after `summary-inspect <name>`). */
  arguments: string;
  /** One line for the list of commands. */
  summary: string;
  /** The paragraphs of `<command> --help` between the usage line and the options. */
  description: string;
  /** The command's own options (the global ones are added by the parser and the help). */
  options: readonly OptionSpec[];
  examples: readonly string[];
  /** Runs until interrupted (watch, events --follow): SIGINT/SIGTERM abort `context.signal`. */
  longRunning?: boolean;
  /** A note placed after the options in `<command> --help` (threshold syntax and such). */
  notes?: string;
}

/** A command: its spec, and the function that runs it (loaded only when it is the one run). */
export interface Command {
  spec: CommandSpec;
  run(context: Context): Promise<number>;
}

/** `node:util` `parseArgs` options for a list of option specs. */
export function parseArgsOptions(
  options: readonly OptionSpec[],
): Record<string, { type: 'string' | 'boolean'; short?: string }> {
  const out: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
  for (const o of options) {
    out[o.name] = o.short === undefined ? { type: o.type } : { type: o.type, short: o.short };
  }
  return out;
}

/** The left column of an option in the help: `-h, --help`, `--root DIR`. */
export function optionLabel(o: OptionSpec): string {
  const long = `--${o.name}${o.type === 'string' && o.value !== undefined ? ` ${o.value}` : ''}`;
  return o.short === undefined ? long : `-${o.short}, ${long}`;
}
