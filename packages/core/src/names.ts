import { codedRangeError, codedTypeError, quote } from './errors.js';

/** Longest run or process name, in UTF-8 bytes: leaves room under NAME_MAX (255) for suffixes. */
export const MAX_NAME_BYTES = 128;

// C0 controls, DEL and C1 controls: invisible in listings, hostile in terminals.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
// A surrogate not in a pair: UTF-8 cannot hold it, and the encoder writes U+FFFD instead, so
// two different names would become one file name.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const utf8 = new TextEncoder();
/**
 * The names almost every pipeline uses: ASCII letters, digits, `_`, `-` and `.`. Such a name is
 * valid unless it is `.` or `..` or too long, which one regular expression and two comparisons
 * tell; a listing checks tens of thousands of names.
 */
const PLAIN_NAME = new RegExp(`^[A-Za-z0-9_.-]{1,${MAX_NAME_BYTES}}$`);

function isPlainName(name: string): boolean {
  return PLAIN_NAME.test(name) && name !== '.' && name !== '..';
}

/**
 * Refuses a run or process name that could escape the root or break a file name: empty,
 * `.` or `..`, a `/` or `\`, NUL or another control character, or longer than
 * {@link MAX_NAME_BYTES} UTF-8 bytes; a process or worker name must not contain `@` (it
 * separates them). Refuses too a name two different strings could share a file with: one that
 * is not well-formed Unicode (a lone surrogate) or not in Unicode NFC (a file system that
 * normalizes names, as macOS does, would take `e` + U+0301 and `é` for one file). Throws a
 * coded error (`E_INVALID_NAME`).
 */
export function assertValidName(
  kind: 'run' | 'process' | 'worker',
  name: unknown,
): asserts name is string {
  if (typeof name !== 'string') {
    throw codedTypeError('E_INVALID_NAME', `${kind} name must be a string, got ${typeof name}`);
  }
  if (isPlainName(name)) return;
  let reason: string | undefined;
  if (name.length === 0) reason = 'it is empty';
  else if (name === '.' || name === '..') reason = `"${name}" would escape the root`;
  else if (name.includes('/') || name.includes('\\')) reason = 'it contains a path separator';
  else if (CONTROL.test(name)) reason = 'it contains a control character';
  else if (LONE_SURROGATE.test(name)) reason = 'it is not well-formed Unicode (a lone surrogate)';
  else if (name.normalize('NFC') !== name) {
    reason = "it is not in Unicode NFC; use name.normalize('NFC')";
  } else if (kind !== 'run' && name.includes('@')) {
    // `process@worker` names a worker's summary: an `@` inside either name would be ambiguous.
    reason = "it contains '@' (the separator of process and worker)";
  } else if (name.length * 3 > MAX_NAME_BYTES && utf8.encode(name).length > MAX_NAME_BYTES) {
    // A UTF-16 code unit is at most 3 UTF-8 bytes, so a short name needs no encoding (a
    // listing checks tens of thousands of names).
    reason = `it is longer than ${MAX_NAME_BYTES} UTF-8 bytes`;
  }
  if (reason !== undefined) {
    throw codedRangeError(
      'E_INVALID_NAME',
      `invalid ${kind} name ${quote(name.slice(0, 64))}: ${reason}`,
    );
  }
}

const checkedNames = new Map<string, boolean>();
const MAX_CHECKED_NAMES = 10_000;

/**
 * Whether `name` is a valid run, process or worker name: {@link assertValidName} without the
 * exception. The verdict on a name beyond plain ASCII is remembered: a listing meets the same
 * process names in every run directory.
 */
export function isValidName(kind: 'run' | 'process' | 'worker', name: unknown): boolean {
  if (typeof name !== 'string') return false;
  if (isPlainName(name)) return true;
  const key = `${kind}:${name}`;
  const known = checkedNames.get(key);
  if (known !== undefined) return known;
  let valid: boolean;
  try {
    assertValidName(kind, name);
    valid = true;
  } catch {
    valid = false;
  }
  if (checkedNames.size >= MAX_CHECKED_NAMES) checkedNames.clear();
  checkedNames.set(key, valid);
  return valid;
}

/** The names a summary reference carries, as {@link assertValidRef} accepts them. */
export interface NamedRef {
  runName: string;
  processName: string;
  worker?: string | null | undefined;
}

/**
 * Refuses a summary reference whose run, process or worker name is invalid (see
 * {@link assertValidName}), or that is not an object. Stores call it before touching anything;
 * consumers call it to refuse bad input early. Throws `E_INVALID_NAME`.
 */
export function assertValidRef(ref: unknown): asserts ref is NamedRef {
  if (typeof ref !== 'object' || ref === null) {
    throw codedTypeError('E_INVALID_NAME', `a summary ref must be an object, got ${typeof ref}`);
  }
  const { runName, processName, worker } = ref as Record<string, unknown>;
  assertValidName('run', runName);
  assertValidName('process', processName);
  if (worker != null) assertValidName('worker', worker);
}
