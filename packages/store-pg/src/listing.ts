/**
 * The listing projection as this store keeps it beside each body (`summaries.listing`): core's
 * `LISTING_FIELDS` of the summary, in a compact form. The field names make up most of a
 * projection written as an object, and a listing of 10,000 runs spends its time moving and
 * parsing them; so the projection is a JSON array, `[present, ...values]`: `present` has bit
 * `i` set when the summary has `LISTING_FIELDS[i]`, and the values of the fields present follow
 * in that order, as `JSON.stringify` wrote them (exact: `\u0000` and lone surrogates included).
 */
import { createHash } from 'node:crypto';
import { LISTING_FIELDS } from '@process-summary/core';

/**
 * Which field list and form a stored projection was written with (kept in
 * `summaries.listing_fields`): a projection written by a version with another list or form is
 * not decoded with this one's, its body is cut instead.
 */
export const LISTING_FORMAT_ID = createHash('sha256')
  .update(`[present, ...values] of ${LISTING_FIELDS.join(',')}`)
  .digest('hex')
  .slice(0, 16);

/** The stored form of `dict`'s listing projection. A key holding `undefined` is absent, as in JSON. */
export function encodeListing(dict: Readonly<Record<string, unknown>>): string {
  let present = 0;
  const values: unknown[] = [0];
  for (const [i, key] of LISTING_FIELDS.entries()) {
    if (Object.hasOwn(dict, key) && dict[key] !== undefined) {
      present += 2 ** i;
      values.push(dict[key]);
    }
  }
  values[0] = present;
  return JSON.stringify(values);
}

/** The fields present, in order, per `present` mask seen (a few: most summaries share one). */
const fieldsByMask = new Map<number, readonly string[]>();
const MAX_MASKS = 64;

function fieldsOf(present: number): readonly string[] {
  let fields = fieldsByMask.get(present);
  if (fields === undefined) {
    fields = LISTING_FIELDS.filter((_, i) => Math.floor(present / 2 ** i) % 2 === 1);
    if (fieldsByMask.size < MAX_MASKS) fieldsByMask.set(present, fields);
  }
  return fields;
}

/**
 * The projection (a summary dictionary holding only the listing's fields) stored as `text`, or
 * `undefined` when `text` is not one (a column edited by hand): the caller then reads the body.
 */
export function decodeListing(text: string): Record<string, unknown> | undefined {
  let stored: unknown;
  try {
    stored = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!Array.isArray(stored)) return undefined;
  const present = stored[0] as number;
  if (!Number.isSafeInteger(present) || present < 0 || present >= 2 ** LISTING_FIELDS.length) {
    return undefined;
  }
  // The names of the fields present, worked out once per mask: walking the bits for every row
  // costs a listing of 10,000 runs several times its JSON.parse.
  const fields = fieldsOf(present);
  if (stored.length !== fields.length + 1) return undefined;
  const dict: Record<string, unknown> = {};
  for (let i = 0; i < fields.length; i++) dict[fields[i] as string] = stored[i + 1];
  return dict;
}
