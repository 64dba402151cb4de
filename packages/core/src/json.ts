import { codedRangeError, codedTypeError, type ErrorCode, escapeForMessage } from './errors.js';
import { MAX_JSON_DEPTH } from './limits.js';

/** A value that survives `JSON.stringify` and `JSON.parse` unchanged. */
export type JsonValue =
  | null
  | boolean
  | number
  | string
  | JsonValue[]
  | { [key: string]: JsonValue };

/** A JSON object. */
export type JsonObject = { [key: string]: JsonValue };

/**
 * Sets `key` on `target` as an own, enumerable data property. An assignment would not do for
 * `__proto__`: it would set the object's prototype (or do nothing), dropping the user's key.
 * Hot loops test `key === '__proto__'` themselves and assign otherwise: a store through this
 * shared function sees every object shape and runs slower than one at the caller's site.
 */
export function setKey(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, {
      value,
      writable: true,
      enumerable: true,
      configurable: true,
    });
  } else {
    target[key] = value;
  }
}

/**
 * Returns a deep copy of `value` if it round-trips through JSON unchanged; otherwise throws a
 * coded `TypeError` naming the offending path. Refused: BigInt, functions, symbols, undefined,
 * NaN and ±Infinity, cycles, and objects other than plain objects and arrays (a Date or a Map
 * would come back as something else). A value nested deeper than `maxDepth` arrays and objects
 * is refused with a coded `RangeError` (default {@link MAX_JSON_DEPTH}).
 */
export function copyJsonValue(
  value: unknown,
  code: ErrorCode,
  what: string,
  maxDepth: number = MAX_JSON_DEPTH,
): JsonValue {
  return copyFlatObject(value) ?? new JsonCopier(code, what, maxDepth).copy(value);
}

/** The common case (a plain object of strings, finite numbers and booleans), copied fast; else undefined. */
function copyFlatObject(value: unknown): JsonObject | undefined {
  if (
    typeof value !== 'object' ||
    value === null ||
    Object.getPrototypeOf(value) !== Object.prototype
  ) {
    return undefined;
  }
  const out: JsonObject = {};
  for (const key in value) {
    // Own keys only: `for…in` also lists enumerable keys of a polluted Object.prototype.
    // (`for…in` + hasOwn: cheaper than allocating Object.keys on this hot path.)
    if (!Object.hasOwn(value, key)) continue;
    const item = (value as Record<string, unknown>)[key];
    const type = typeof item;
    if (type === 'string' || type === 'boolean' || (type === 'number' && Number.isFinite(item))) {
      if (key === '__proto__') setKey(out, key, item);
      else out[key] = item as JsonValue;
    } else {
      return undefined;
    }
  }
  return out;
}

/** Keeps the path as a stack and formats it only for an error: this runs on hot paths. */
class JsonCopier {
  readonly #code: ErrorCode;
  readonly #what: string;
  readonly #path: (string | number)[] = [];
  /** Objects on the current path, to refuse cycles. */
  readonly #seen = new Set<object>();
  readonly #maxDepth: number;

  constructor(code: ErrorCode, what: string, maxDepth: number) {
    this.#code = code;
    this.#what = what;
    this.#maxDepth = maxDepth;
  }

  copy(value: unknown): JsonValue {
    switch (typeof value) {
      case 'string':
      case 'boolean':
        return value;
      case 'number':
        if (Number.isFinite(value)) return value;
        throw this.#fail(`is ${value}, which JSON cannot represent`);
      case 'object':
        return value === null ? null : this.#copyObject(value);
      default:
        throw this.#fail(`is a ${typeof value}, which JSON cannot represent`);
    }
  }

  #copyObject(value: object): JsonValue {
    if (this.#seen.has(value)) throw this.#fail('contains a cycle');
    // Checked before going down, so the recursion is at most `maxDepth` deep.
    if (this.#seen.size >= this.#maxDepth) {
      const path = this.#pathText();
      throw codedRangeError(
        this.#code,
        `${this.#what}${path} is nested deeper than ${this.#maxDepth} levels of arrays and objects`,
      );
    }
    this.#seen.add(value);
    let result: JsonValue;
    if (Array.isArray(value)) {
      const out: JsonValue[] = new Array(value.length);
      for (let i = 0; i < value.length; i++) {
        this.#path.push(i);
        out[i] = this.copy(value[i]);
        this.#path.pop();
      }
      result = out;
    } else {
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) {
        const name = (value as { constructor?: { name?: string } }).constructor?.name;
        throw this.#fail(
          name !== undefined && name !== 'Object'
            ? `is a ${name}; only plain objects and arrays are JSON`
            : 'has a prototype of its own; only plain objects and arrays are JSON',
        );
      }
      const out: JsonObject = {};
      for (const key of Object.keys(value)) {
        this.#path.push(key);
        setKey(out, key, this.copy((value as Record<string, unknown>)[key]));
        this.#path.pop();
      }
      result = out;
    }
    this.#seen.delete(value);
    return result;
  }

  #fail(problem: string): TypeError {
    return codedTypeError(this.#code, `${this.#what}${this.#pathText()} ${problem}`);
  }

  #pathText(): string {
    return this.#path
      .map((p) => (typeof p === 'number' ? `[${p}]` : `.${escapeForMessage(p)}`))
      .join('');
  }
}

/**
 * An upper bound of `JSON.stringify(value)`'s UTF-8 size, without serializing: every string
 * character counted at its worst (an escape such as `\u001b`, 6 bytes). Exact sizes cost a
 * serialization and an encoding; the bound decides whether that is needed at all.
 */
export function jsonByteUpperBound(value: JsonValue): number {
  switch (typeof value) {
    case 'string':
      return value.length * 6 + 2;
    case 'number':
      return 24;
    case 'boolean':
      return 5;
    default: {
      if (value === null) return 4;
      let size = 2;
      if (Array.isArray(value)) {
        for (const item of value) size += jsonByteUpperBound(item) + 1;
      } else {
        for (const key in value) {
          if (Object.hasOwn(value, key))
            size += key.length * 6 + 4 + jsonByteUpperBound(value[key] ?? null);
        }
      }
      return size;
    }
  }
}

/** What {@link findJsonHazard} found, and where (a JSON Pointer). */
export interface JsonHazard {
  path: string;
  kind: 'too_deep' | 'not_finite';
}

/**
 * The first thing a reader of parsed JSON must refuse before walking it recursively: nesting
 * deeper than `maxDepth` arrays and objects (a scalar is depth 0, `[[1]]` depth 2; a cycle in
 * an object built in memory counts as too deep), or a number that is not finite (`1e400` in a
 * file parses as Infinity). It never goes deeper than `maxDepth`, so a 100,000-deep document
 * cannot overflow the stack.
 */
export function findJsonHazard(value: unknown, maxDepth: number): JsonHazard | undefined {
  const path: string[] = [];
  const kind = hazardIn(value, maxDepth, path);
  if (kind === undefined) return undefined;
  return {
    path: path
      .reverse()
      .map((p) => `/${p.replaceAll('~', '~0').replaceAll('/', '~1')}`)
      .join(''),
    kind,
  };
}

/**
 * Recursive, but never deeper than `depthLeft` (at most the caller's limit): an over-deep value
 * stops the descent instead of overflowing the stack. On a hazard, `path` receives its keys,
 * innermost first. Cheaper than an explicit stack: this runs on every summary read.
 */
function hazardIn(
  value: unknown,
  depthLeft: number,
  path: string[],
): JsonHazard['kind'] | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : 'not_finite';
  if (typeof value !== 'object' || value === null) return undefined;
  if (depthLeft === 0) return 'too_deep';
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (typeof item !== 'object' && typeof item !== 'number') continue;
      const kind = hazardIn(item, depthLeft - 1, path);
      if (kind !== undefined) {
        path.push(String(i));
        return kind;
      }
    }
    return undefined;
  }
  for (const key in value) {
    const item: unknown = (value as Record<string, unknown>)[key];
    if (typeof item !== 'object' && typeof item !== 'number') continue;
    const kind = hazardIn(item, depthLeft - 1, path);
    if (kind !== undefined) {
      path.push(key);
      return kind;
    }
  }
  return undefined;
}
