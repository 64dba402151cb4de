/**
 * Quoting for messages and logs (core's rule, which core keeps internal): whatever came from a
 * file or a store, as JSON, with the characters terminals act on escaped too.
 */

// What JSON.stringify leaves raw but a terminal or a log viewer acts on.
const UNSAFE = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

function escapeUnsafe(text: string): string {
  return text.replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** `value` quoted for a message. */
export function quote(value: unknown): string {
  const text =
    typeof value === 'string' ||
    typeof value === 'number' ||
    typeof value === 'boolean' ||
    value === null
      ? JSON.stringify(value)
      : String(value);
  return escapeUnsafe(text);
}

/** {@link quote} without the quotes, for a segment of a quoted path. */
export function escapeForMessage(text: string): string {
  return escapeUnsafe(JSON.stringify(text).slice(1, -1));
}
