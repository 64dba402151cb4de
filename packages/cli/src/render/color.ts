/** ANSI colours, only where a person reads them. */

/** The styles the commands use; each returns its text unchanged when colours are off. */
export interface Colors {
  enabled: boolean;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  cyan(text: string): string;
  dim(text: string): string;
  bold(text: string): string;
}

/**
 * Colours are on only when stdout is a terminal, `NO_COLOR` is unset or empty
 * (https://no-color.org) and `--no-color` was not given.
 */
export function shouldColor(isTty: boolean, env: NodeJS.ProcessEnv, noColorFlag: boolean): boolean {
  const noColor = env.NO_COLOR;
  return isTty && !noColorFlag && (noColor === undefined || noColor === '');
}

function style(enabled: boolean, open: number, close: number): (text: string) => string {
  return enabled ? (text) => `\u001b[${open}m${text}\u001b[${close}m` : (text) => text;
}

/** The styles, enabled or not. */
export function createColors(enabled: boolean): Colors {
  return {
    enabled,
    red: style(enabled, 31, 39),
    green: style(enabled, 32, 39),
    yellow: style(enabled, 33, 39),
    cyan: style(enabled, 36, 39),
    dim: style(enabled, 2, 22),
    bold: style(enabled, 1, 22),
  };
}

/** Strips the escapes this module adds, to measure the width of a cell. */
export function visibleLength(text: string): number {
  // Most cells are not coloured (never when the output is not a terminal): no pass to make.
  if (!text.includes('\u001b')) return text.length;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching our own SGR escapes
  return text.replace(/\u001b\[\d+m/g, '').length;
}
