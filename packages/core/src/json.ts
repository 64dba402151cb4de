import { codedTypeError, type ErrorCode } from './errors.js';

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
 * Returns a deep copy of `value` if it round-trips through JSON unchanged; otherwise throws a
 * coded `TypeError` naming the offending path. Refused: BigInt, functions, symbols, undefined,
 * NaN and ±Infinity, cycles, and objects other than plain objects and arrays (a Date or a Map
 * would come back as something else).
 */
export function copyJsonValue(value: unknown, code: ErrorCode, what: string): JsonValue {
  return copy(value, code, what, new Set<object>());
}

function copy(value: unknown, code: ErrorCode, path: string, seen: Set<object>): JsonValue {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (Number.isFinite(value)) return value;
      throw codedTypeError(code, `${path} is ${value}, which JSON cannot represent`);
    case 'object': {
      if (value === null) return null;
      if (seen.has(value)) throw codedTypeError(code, `${path} contains a cycle`);
      seen.add(value);
      let result: JsonValue;
      if (Array.isArray(value)) {
        const out: JsonValue[] = new Array(value.length);
        for (let i = 0; i < value.length; i++) out[i] = copy(value[i], code, `${path}[${i}]`, seen);
        result = out;
      } else {
        const proto = Object.getPrototypeOf(value);
        if (proto !== Object.prototype && proto !== null) {
          const name = (value as object).constructor?.name ?? 'object';
          throw codedTypeError(
            code,
            `${path} is a ${name}; only plain objects and arrays are JSON`,
          );
        }
        const out: JsonObject = {};
        for (const key of Object.keys(value)) {
          out[key] = copy((value as Record<string, unknown>)[key], code, `${path}.${key}`, seen);
        }
        result = out;
      }
      seen.delete(value);
      return result;
    }
    default:
      throw codedTypeError(code, `${path} is a ${typeof value}, which JSON cannot represent`);
  }
}
