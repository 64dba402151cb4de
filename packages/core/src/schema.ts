import { escapeForMessage, ProcessSummaryError, quote, type ValidationIssue } from './errors.js';
import { findJsonHazard } from './json.js';
import { MAX_SUMMARY_DEPTH } from './limits.js';
import { progressUpdatesSetAside } from './progress-check.js';
import summarySchemaJson from './summary.schema.json' with { type: 'json' };
import {
  validateAllIssues as generatedAllIssues,
  validateFirstIssue as generatedFirstIssue,
} from './summary-validators.generated.js';
import type { ValidatedDict } from './types.js';
import { SCHEMA_VERSION } from './types.js';

/** The JSON Schema (2020-12) of the summary file; also shipped as `@process-summary/core/schema.json`. */
export const summarySchema: Readonly<Record<string, unknown>> = summarySchemaJson;

/** A problem as ajv reports it. */
interface ErrorObject {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
  message?: string;
}

/** A validator ajv generated: true when valid, else its `errors` say why. */
interface ValidateFunction {
  (data: unknown): boolean;
  errors?: ErrorObject[] | null;
}

// Compiled ahead of time (scripts/generate-validators.mjs): loading ajv and compiling the
// schema would cost every program that imports core about 0.15 s, validating or not.
const firstIssueValidator = generatedFirstIssue as ValidateFunction;
const allIssuesValidator = generatedAllIssues as ValidateFunction;

/** The result of {@link checkSummaryDict}. */
export interface SummaryCheck {
  valid: boolean;
  /** Seed format: no `schema_version` (times are perf_counter seconds). */
  seedFormat: boolean;
  issues: ValidationIssue[];
}

/**
 * Checks `dict` against the schema and reports every problem (for a validator's report);
 * {@link validateSummaryDict} stops at the first and throws.
 */
export function checkSummaryDict(dict: unknown): SummaryCheck {
  return check(dict, true);
}

/**
 * Validates a summary dictionary (current or seed format) and returns it typed. Throws
 * `E_UNSUPPORTED_VERSION` for a newer `schema_version`, and `E_INVALID_SUMMARY` whose message
 * names the JSON path of the first problem (all found are in `err.issues`).
 */
export function validateSummaryDict(dict: unknown): ValidatedDict {
  return validate(dict, true);
}

/**
 * {@link checkSummaryDict} and {@link validateSummaryDict} without the progress updates' fast
 * path: every update through the schema validator and the hazard walk. Not exported by the
 * package: the tests hold the fast path to these.
 */
export const checkSummaryDictInFull = (dict: unknown): SummaryCheck => check(dict, false);
export const validateSummaryDictInFull = (dict: unknown): ValidatedDict => validate(dict, false);

/**
 * What the hazard walk and the schema validator look at: `dict`, or, when its progress updates
 * pass the hand-written check (`progress-check.ts`), a copy without them that gives the same
 * answer in a fraction of the time for a file with thousands of updates.
 */
function checkedPart(dict: unknown, fast: boolean): unknown {
  return (fast ? progressUpdatesSetAside(dict) : undefined) ?? dict;
}

function check(dict: unknown, fast: boolean): SummaryCheck {
  const versionIssue = checkVersion(dict);
  if (versionIssue !== undefined)
    return { valid: false, seedFormat: false, issues: [versionIssue] };
  const part = checkedPart(dict, fast);
  const hazard = hazardIssue(part);
  if (hazard !== undefined)
    return { valid: false, seedFormat: isSeedFormat(dict), issues: [hazard] };
  const valid = allIssuesValidator(part);
  return {
    valid,
    seedFormat: isSeedFormat(dict),
    issues: valid ? [] : (allIssuesValidator.errors ?? []).map((e) => toIssue(e, part)),
  };
}

function validate(dict: unknown, fast: boolean): ValidatedDict {
  const versionIssue = checkVersion(dict);
  if (versionIssue !== undefined) {
    throw new ProcessSummaryError(
      'E_UNSUPPORTED_VERSION',
      `process-summary: ${versionIssue.message}; upgrade @process-summary/core to read it`,
      { issues: [versionIssue] },
    );
  }
  const part = checkedPart(dict, fast);
  const hazard = hazardIssue(part);
  if (hazard !== undefined || !firstIssueValidator(part)) {
    const issues =
      hazard !== undefined
        ? [hazard]
        : (firstIssueValidator.errors ?? []).map((e) => toIssue(e, part));
    const first = issues[0];
    const where =
      first === undefined || first.path === '' ? '(root)' : escapeForMessage(first.path);
    const found = first?.found === undefined ? '' : ` (found ${first.found})`;
    throw new ProcessSummaryError(
      'E_INVALID_SUMMARY',
      `process-summary: invalid summary at ${where}: ${first?.message ?? 'invalid'}${found}`,
      { issues },
    );
  }
  return dict as ValidatedDict;
}

/**
 * What must be refused before the schema validator (recursive) or anything else walks the
 * document: nesting past {@link MAX_SUMMARY_DEPTH}, or a number JSON parsed as ±Infinity.
 */
function hazardIssue(dict: unknown): ValidationIssue | undefined {
  const hazard = findJsonHazard(dict, MAX_SUMMARY_DEPTH);
  if (hazard === undefined) return undefined;
  if (hazard.kind === 'too_deep') {
    return {
      path: hazard.path,
      message: `is nested deeper than ${MAX_SUMMARY_DEPTH} levels of arrays and objects`,
      expected: `at most ${MAX_SUMMARY_DEPTH} levels`,
      found: 'deeper',
    };
  }
  return {
    path: hazard.path,
    message: 'is out of range: a number too large for a double',
    expected: 'a finite number',
    found: String(valueAt(dict, hazard.path)),
  };
}

function isSeedFormat(dict: unknown): boolean {
  return typeof dict === 'object' && dict !== null && !('schema_version' in dict);
}

function checkVersion(dict: unknown): ValidationIssue | undefined {
  if (typeof dict !== 'object' || dict === null) return undefined;
  const version = (dict as { schema_version?: unknown }).schema_version;
  if (typeof version === 'number' && version > SCHEMA_VERSION) {
    return {
      path: '/schema_version',
      message: `schema_version ${version} is newer than this reader (${SCHEMA_VERSION})`,
      expected: `<= ${SCHEMA_VERSION}`,
      found: String(version),
    };
  }
  return undefined;
}

function toIssue(error: ErrorObject, root: unknown): ValidationIssue {
  let path = error.instancePath;
  let expected: string | undefined;
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      path = `${path}/${String(params.missingProperty)}`;
      return { path, message: 'is required but missing', expected: 'present', found: 'missing' };
    case 'dependentRequired':
      path = `${path}/${String(params.missingProperty)}`;
      return {
        path,
        message: `is required when ${String(params.property)} is present`,
        expected: 'present',
        found: 'missing',
      };
    case 'type':
      expected = String(params.type);
      break;
    case 'enum':
      expected = (params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(' | ');
      break;
    case 'minimum':
    case 'maximum':
      expected = `${String(params.comparison)} ${String(params.limit)}`;
      break;
    default:
      break;
  }
  return {
    path,
    message: error.message ?? error.keyword,
    expected,
    found: describe(valueAt(root, path)),
  };
}

function valueAt(root: unknown, pointer: string): unknown {
  if (pointer === '') return root;
  let value = root;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (value !== null && typeof value === 'object') return 'an object';
  // JSON would show a non-finite number as `null`, which is not what the file holds.
  if (typeof value === 'number') return String(value);
  const text = quote(typeof value === 'string' && value.length > 40 ? value.slice(0, 40) : value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

const LISTED_NUMBERS = [
  'items_processed',
  'items_successful',
  'items_failed',
  'error_count',
  'interruption_count',
  'processing_rate_per_second',
  'success_rate_percent',
  'start_time',
] as const;

/**
 * The checks a listing needs (a store's `read` with `full: false`), without the full schema: an object with string names and
 * finite non-negative numbers where a listing reads them, of a version this reader knows.
 */
export function checkListedFields(value: unknown): SummaryCheck {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return listedFieldProblem('', 'must be object', 'object', value);
  }
  const dict = value as Record<string, unknown>;
  const version = dict.schema_version;
  if (typeof version === 'number' && version > SCHEMA_VERSION) {
    return listedFieldProblem(
      '/schema_version',
      `schema_version ${version} is newer than this reader (${SCHEMA_VERSION})`,
      `<= ${SCHEMA_VERSION}`,
      version,
    );
  }
  // Each field loaded by name, with no call and no loop, until something is wrong: a listing
  // checks 10,000 summaries, most of them before V8 has optimized anything, and a loop over the
  // names costs it several times these few comparisons. The loops below find what is wrong.
  if (
    typeof dict.run_name === 'string' &&
    typeof dict.process_name === 'string' &&
    isListedNumber(dict.items_processed) &&
    isListedNumber(dict.items_successful) &&
    isListedNumber(dict.items_failed) &&
    isListedNumber(dict.error_count) &&
    isListedNumber(dict.interruption_count) &&
    isListedNumber(dict.processing_rate_per_second) &&
    isListedNumber(dict.success_rate_percent) &&
    isListedNumber(dict.start_time)
  ) {
    return { valid: true, seedFormat: version === undefined, issues: [] };
  }
  for (const key of ['run_name', 'process_name'] as const) {
    if (typeof dict[key] !== 'string') {
      return listedFieldProblem(`/${key}`, 'must be string', 'string', dict[key]);
    }
  }
  for (const key of LISTED_NUMBERS) {
    if (!isListedNumber(dict[key])) {
      return listedFieldProblem(`/${key}`, 'must be number', 'number >= 0', dict[key]);
    }
  }
  // Unreachable while the two lists above agree (a test holds them to it).
  return listedFieldProblem('', 'must be a summary', 'a summary', value);
}

/** A finite number >= 0 (NaN fails the first comparison, infinity the second). */
function isListedNumber(value: unknown): boolean {
  return typeof value === 'number' && value >= 0 && value < Number.POSITIVE_INFINITY;
}

function listedFieldProblem(
  path: string,
  message: string,
  expected: string,
  found: unknown,
): SummaryCheck {
  return {
    valid: false,
    seedFormat: false,
    issues: [{ path, message, expected, found: describeValue(found) }],
  };
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (value !== null && typeof value === 'object') return 'an object';
  const text = JSON.stringify(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}
