/**
 * Where the alerter reports what it noticed. The shape of pino's logger (and of `console`): a
 * structured fields object first, then the message. The same shape as the file store's.
 */
export interface Logger {
  debug(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

const nothing = () => {};

/** A logger that says nothing: a library prints nothing unless given a logger. */
export const silentLogger: Logger = {
  debug: nothing,
  info: nothing,
  warn: nothing,
  error: nothing,
};
