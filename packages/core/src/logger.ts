/**
 * Where a library of this project reports what it noticed: the shape of pino's logger (and of
 * `console`), a structured fields object first, then the message. Every package takes one
 * (a library never prints unless given a logger); this is the one definition they share.
 */
export interface Logger {
  debug(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

const nothing = () => {};

/** A logger that says nothing (for benchmarks and callers that collect warnings themselves). */
export const silentLogger: Logger = {
  debug: nothing,
  info: nothing,
  warn: nothing,
  error: nothing,
};

/** Whether `value` has the four methods of a {@link Logger} (an option checked before use). */
export function isLogger(value: unknown): value is Logger {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return (['debug', 'info', 'warn', 'error'] as const).every(
    (method) => typeof candidate[method] === 'function',
  );
}
