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
  return listingOfStored(stored);
}

/**
 * {@link decodeListing} of the stored form already parsed (an element of a batch parsed at
 * once): the projection, or `undefined` when `stored` is not the stored form.
 */
export function listingOfStored(stored: unknown): Record<string, unknown> | undefined {
  if (!Array.isArray(stored)) return undefined;
  const present = stored[0] as number;
  if (!Number.isSafeInteger(present) || present < 0 || present >= 2 ** LISTING_FIELDS.length) {
    return undefined;
  }
  return BY_NAME ? byName(stored, present) : byKey(stored, present);
}

/**
 * The projection of `stored` made with keyed stores (`dict[field] = …`), for any field list
 * core gives: the path taken when core's `LISTING_FIELDS` is not {@link NAMED_FIELDS} (a newer
 * core beside this store), and the reference the named path is tested against.
 */
export function byKey(
  stored: readonly unknown[],
  present: number,
): Record<string, unknown> | undefined {
  // The names of the fields present, worked out once per mask: walking the bits for every row
  // costs a listing of 10,000 runs several times its JSON.parse.
  const fields = fieldsOf(present);
  if (stored.length !== fields.length + 1) return undefined;
  const dict: Record<string, unknown> = {};
  for (let i = 0; i < fields.length; i++) dict[fields[i] as string] = stored[i + 1];
  return dict;
}

/**
 * Core's `LISTING_FIELDS` as {@link byName} writes them out. Where core's list is another (a
 * newer core with more fields), decoding takes {@link byKey} instead; a test holds the two
 * lists equal for the core of this repository.
 */
export const NAMED_FIELDS = Object.freeze([
  'schema_version',
  'run_name',
  'process_name',
  'worker',
  'status',
  'is_completed',
  'generated_at',
  'start_time',
  'end_time',
  'duration_seconds',
  'active_seconds',
  'last_checkpoint_time',
  'items_processed',
  'items_successful',
  'items_failed',
  'items_retried',
  'items_total',
  'bytes_processed',
  'success_rate_percent',
  'processing_rate_per_second',
  'current_rate_per_second',
  'eta_seconds',
  'error_count',
  'error_types',
  'interruption_count',
] as const);

/** Whether {@link byName} decodes core's field list (see {@link NAMED_FIELDS}). */
export const BY_NAME =
  LISTING_FIELDS.length === NAMED_FIELDS.length &&
  LISTING_FIELDS.every((field, i) => field === NAMED_FIELDS[i]);

type Projection = { -readonly [K in (typeof NAMED_FIELDS)[number]]?: unknown };

/**
 * {@link byKey}, each field stored by name: a keyed store whose key changes from one field to
 * the next is a slow generic store in V8, ten thousand rows times twenty-five fields, while a
 * named store is a fast one and gives every projection of the same fields one shape. `present`
 * is below 2 ** 25 here, so its bits are tested with `&`.
 */
export function byName(
  stored: readonly unknown[],
  present: number,
): Record<string, unknown> | undefined {
  const v = stored;
  const out: Projection = {};
  let i = 1;
  if ((present & 0x1) !== 0) out.schema_version = v[i++];
  if ((present & 0x2) !== 0) out.run_name = v[i++];
  if ((present & 0x4) !== 0) out.process_name = v[i++];
  if ((present & 0x8) !== 0) out.worker = v[i++];
  if ((present & 0x10) !== 0) out.status = v[i++];
  if ((present & 0x20) !== 0) out.is_completed = v[i++];
  if ((present & 0x40) !== 0) out.generated_at = v[i++];
  if ((present & 0x80) !== 0) out.start_time = v[i++];
  if ((present & 0x100) !== 0) out.end_time = v[i++];
  if ((present & 0x200) !== 0) out.duration_seconds = v[i++];
  if ((present & 0x400) !== 0) out.active_seconds = v[i++];
  if ((present & 0x800) !== 0) out.last_checkpoint_time = v[i++];
  if ((present & 0x1000) !== 0) out.items_processed = v[i++];
  if ((present & 0x2000) !== 0) out.items_successful = v[i++];
  if ((present & 0x4000) !== 0) out.items_failed = v[i++];
  if ((present & 0x8000) !== 0) out.items_retried = v[i++];
  if ((present & 0x10000) !== 0) out.items_total = v[i++];
  if ((present & 0x20000) !== 0) out.bytes_processed = v[i++];
  if ((present & 0x40000) !== 0) out.success_rate_percent = v[i++];
  if ((present & 0x80000) !== 0) out.processing_rate_per_second = v[i++];
  if ((present & 0x100000) !== 0) out.current_rate_per_second = v[i++];
  if ((present & 0x200000) !== 0) out.eta_seconds = v[i++];
  if ((present & 0x400000) !== 0) out.error_count = v[i++];
  if ((present & 0x800000) !== 0) out.error_types = v[i++];
  if ((present & 0x1000000) !== 0) out.interruption_count = v[i++];
  // One value per field present, no more and no fewer.
  return i === v.length ? out : undefined;
}
