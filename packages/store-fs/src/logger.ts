import { debuglog } from 'node:util';

/**
 * Where the store reports what it noticed and did. The shape of pino's logger (and of
 * `console`): a structured fields object first, then the message.
 */
export interface Logger {
  debug(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

// util.debuglog reads NODE_DEBUG once and prints only when it names this section.
const debugLine = debuglog('process-summary');

function line(level: string, fields: Record<string, unknown>, message: string): string {
  const extra = Object.keys(fields).length === 0 ? '' : ` ${safeJson(fields)}`;
  return `process-summary ${level}: ${message}${extra}\n`;
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch {
    return '[unserializable fields]';
  }
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

/** A logger that drops everything (for benchmarks and callers that collect warnings themselves). */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};
