import { debuglog } from 'node:util';
import type { Logger } from '@process-summary/core';

// Where the store reports what it noticed and did: core's Logger shape.
export { type Logger, silentLogger } from '@process-summary/core';

// util.debuglog reads NODE_DEBUG once and prints only when it names this section.
const debugLine = debuglog('process-summary');

function line(level: string, fields: Record<string, unknown>, message: string): string {
  const extra = Object.keys(fields).length === 0 ? '' : ` ${safeJson(fields)}`;
  return `process-summary ${level}: ${escapeControl(message)}${extra}\n`;
}

function safeJson(value: unknown): string {
  try {
    return escapeControl(JSON.stringify(value), true);
  } catch {
    return '[unserializable fields]';
  }
}

// C0 controls, DEL, C1 controls (U+009B is a CSI for some terminals), line and paragraph
// separators, bidi overrides and isolates.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * Messages carry text from files and callers (a JSON parse error quotes the file's bytes, a
 * path holds a run name): on a terminal or in a log viewer none of it may act as a control,
 * nor start a line that looks like another entry.
 */
export function escapeControl(text: string, json = false): string {
  return text.replace(CONTROL, (char) => {
    const code = char.charCodeAt(0);
    // In the fields' JSON, as `\uXXXX`: still JSON that parses to the same value.
    return code <= 0xff && !json
      ? `\\x${code.toString(16).padStart(2, '0')}`
      : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/**
 * The default logger: warnings and errors go to stderr, debug and info only when
 * `NODE_DEBUG` contains `process-summary`. A library never prints anything else.
 */
export const defaultLogger: Logger = {
  debug(fields, message) {
    if (debugLine.enabled) debugLine('%s', line('debug', fields, message).trimEnd());
  },
  info(fields, message) {
    if (debugLine.enabled) debugLine('%s', line('info', fields, message).trimEnd());
  },
  warn(fields, message) {
    process.stderr.write(line('warn', fields, message));
  },
  error(fields, message) {
    process.stderr.write(line('error', fields, message));
  },
};
