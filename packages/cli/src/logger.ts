/**
 * The logger the CLI hands to the libraries it runs (the dashboard of `serve`, the alerter of
 * `alert`): their warnings and errors become lines on stderr, escaped, since a message may
 * quote a run name or a receiver's answer; debug and info only with
 * `NODE_DEBUG=process-summary`.
 */
import type { Context } from './context.js';
import { escapeControl } from './render/format.js';

/**
 * The shape of pino's logger, which the dashboard's and the alerter's `Logger` share: a
 * structured fields object first, then the message.
 */
export interface CliLogger {
  debug(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

/** Warnings and errors always, the rest with `NODE_DEBUG=process-summary`; one line each. */
export function cliLogger(
  context: Pick<Context, 'warn'>,
  env: NodeJS.ProcessEnv = process.env,
): CliLogger {
  const debug = /\bprocess-summary\b/.test(env.NODE_DEBUG ?? '');
  const line = (level: string, fields: Record<string, unknown>, message: string) => {
    const detail = Object.keys(fields).length === 0 ? '' : ` ${safeFields(fields)}`;
    // escapeControl shows newlines as \n too: one report stays one line.
    context.warn(`${level}: ${escapeControl(message)}${escapeControl(detail)}`);
  };
  return {
    debug: (fields, message) => {
      if (debug) line('debug', fields, message);
    },
    info: (fields, message) => {
      if (debug) line('info', fields, message);
    },
    warn: (fields, message) => line('warning', fields, message),
    error: (fields, message) => line('error', fields, message),
  };
}

/** The fields as JSON (an error as its message and code); nothing when they cannot be. */
function safeFields(fields: Record<string, unknown>): string {
  try {
    return JSON.stringify(fields, (_key, value: unknown) =>
      value instanceof Error
        ? { message: value.message, code: (value as { code?: unknown }).code }
        : typeof value === 'bigint'
          ? String(value)
          : value,
    );
  } catch {
    return '';
  }
}
