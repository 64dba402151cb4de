/**
 * The rules file (JSON or YAML): read, validated against `rules.schema.json` (ajv, JSON
 * Schema 2020-12, every problem reported with its JSON path), then normalized: durations in
 * seconds, defaults filled in, paths resolved against the file's directory, templates
 * checked. Nothing is contacted and no secret is read here.
 */
import { readFile } from 'node:fs/promises';
import { dirname, extname, isAbsolute, resolve } from 'node:path';
import { escapeForMessage, hasErrorCode, ProcessSummaryError, quote } from '@process-summary/core';
import { DEFAULT_STALE_AFTER_SECONDS, type DisplayStatus } from '@process-summary/inspect';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import picomatch from 'picomatch';
import { parseDocument } from 'yaml';
import { parseDuration } from './duration.js';
import rulesSchemaJson from './rules.schema.json' with { type: 'json' };
import { checkTemplate } from './template.js';

/** The JSON Schema (2020-12) of the rules file; also shipped as `@process-summary/alerts/rules.schema.json`. */
export const rulesSchema: Readonly<Record<string, unknown>> = rulesSchemaJson;

/** Which summaries a rule looks at: globs over the names (`*` when left out). */
export interface RuleMatch {
  run: string;
  process: string;
  /**
   * A glob over worker names, or `null`: then the rule looks at one row per process (workers
   * merged); with a glob, at each matching worker's own summary.
   */
  worker: string | null;
}

/** A rule's conditions, normalized (durations in seconds). All that are present must hold. */
export interface RuleConditions {
  /** The displayed status is one of these. */
  status?: DisplayStatus[];
  /** A live run (running or stale) whose items processed have not changed for this long. */
  no_progress_for_seconds?: number;
  /** A live run (running or stale) not saved for this long. */
  stale_for_seconds?: number;
  /** Error rate above `above` percent, overall or over the last `window_seconds`. */
  error_rate_percent?: { above: number; window_seconds: number | null; min_attempted: number };
  /** More than `above` errors of `type`. */
  error_type_count?: { type: string; above: number };
  /** A live run's rate below `share` × the median rate of at least `min_runs` earlier runs. */
  rate_below_median_share?: { share: number; min_runs: number };
  /** A live run whose ETA falls after `deadline` (epoch seconds; `text` as written). */
  eta_after?: { deadline: number; text: string };
  /** A custom metric compared to a value: exactly one of `above`, `below`, `equals`. */
  custom_metric?: {
    name: string;
    above?: number;
    below?: number;
    equals?: string | number | boolean;
  };
}

/** One rule of the file, normalized. */
export interface AlertRule {
  name: string;
  match: RuleMatch;
  when: RuleConditions;
  /** How long the conditions must hold before the alert fires (0: at once). */
  for_seconds: number;
  /** This rule's repeat interval while firing; `null`: the settings' one. */
  repeat_every_seconds: number | null;
  severity: string;
  labels: Record<string, string>;
  /** Templates (`{{run}}`, `{{value}}`, …), rendered when a notification is made. */
  annotations: Record<string, string>;
}

interface NotifierCommon {
  /** Unique among the file's notifiers; the type when left out (and unique), else `type-index`. */
  name: string;
  /** Per attempt. Default 10 s. */
  timeout_seconds: number;
  /** Attempts before the delivery is given up (logged). Default 5. */
  max_attempts: number;
}

/** A generic webhook: a JSON POST, signed with HMAC-SHA256 when a secret is given. */
export interface WebhookNotifierConfig extends NotifierCommon {
  type: 'webhook';
  url: string;
  /** Absolute path of the file holding the secret, or `null`. */
  secret_file: string | null;
}
/** A Slack-compatible incoming webhook. */
export interface SlackNotifierConfig extends NotifierCommon {
  type: 'slack';
  url: string;
}
/** An Alertmanager (API v2) base URL. */
export interface AlertmanagerNotifierConfig extends NotifierCommon {
  type: 'alertmanager';
  url: string;
}
/** A program run without a shell, the alert as JSON on stdin and in the environment. */
export interface CommandNotifierConfig extends NotifierCommon {
  type: 'command';
  /** A relative program path (one with a `/`) is resolved against the rules file's directory. */
  argv: string[];
}
/** One notifier of the file, normalized. */
export type NotifierConfig =
  | WebhookNotifierConfig
  | SlackNotifierConfig
  | AlertmanagerNotifierConfig
  | CommandNotifierConfig;

/** The rules file, normalized. */
export interface RulesConfig {
  rules: AlertRule[];
  notifiers: NotifierConfig[];
  settings: {
    /** Seconds between evaluations driven by the timer (stalls have no saves). Default 15. */
    evaluate_every_seconds: number;
    /** Seconds between repeated firing notifications. Default 4 h. */
    repeat_every_seconds: number;
    /** Send a notification when an alert resolves. Default true. */
    resolve_notify: boolean;
    /** Silence after which an unowned running summary is stale. Default 300. */
    stale_after_seconds: number;
    /**
     * A run that is not live (completed, failed, interrupted, crashed) is judged until this long
     * after its last save, then no longer: an old failed run does not page at every start, and
     * its firing alerts resolve. Default 1 day.
     */
    forget_finished_after_seconds: number;
    /** Where a notification links to (the dashboard), or `null`. */
    dashboard_url: string | null;
  };
}

/** Options of {@link parseRules}. */
export interface ParseRulesOptions {
  format: 'json' | 'yaml';
  /** How messages name the file (its path). */
  source: string;
  /** Resolves `secret_file` and relative command paths (the file's directory). */
  baseDir: string;
}

/** The longest rules file read: far more than any set of rules needs. */
export const MAX_RULES_BYTES = 1024 * 1024;
const RESERVED_LABELS = new Set(['alertname', 'severity', 'run', 'process', 'worker']);
const DEFAULT_TIMEOUT_SECONDS = 10;
const DEFAULT_MAX_ATTEMPTS = 5;

let validator: ValidateFunction | null = null;

function validate(data: unknown): readonly ErrorObject[] {
  if (validator === null) {
    validator = new Ajv2020({
      allErrors: true,
      strict: true,
      allowUnionTypes: true,
      discriminator: true,
    }).compile(rulesSchemaJson);
  }
  return validator(data) ? [] : (validator.errors ?? []);
}

/**
 * Parses and validates a rules file's text; `E_INVALID_ARGUMENT` naming `source` and the JSON
 * path of every problem (e.g. `rules/0/when/error_rate_percent/above: must be number`).
 */
export function parseRules(text: string, options: ParseRulesOptions): RulesConfig {
  if (options === null || typeof options !== 'object') {
    throw invalid('parseRules needs options { format, source, baseDir }');
  }
  const { format, source, baseDir } = options;
  if (format !== 'json' && format !== 'yaml') {
    throw invalid(`format must be 'json' or 'yaml' (got ${quote(String(format))})`);
  }
  if (typeof source !== 'string' || typeof baseDir !== 'string' || baseDir === '') {
    throw invalid('source and baseDir must be strings (baseDir not empty)');
  }
  if (typeof text !== 'string') throw invalid(`${source}: the rules must be text`);
  if (Buffer.byteLength(text) > MAX_RULES_BYTES) {
    throw invalid(`${source}: larger than ${MAX_RULES_BYTES} bytes`);
  }
  const data = format === 'json' ? parseJsonText(text, source) : parseYamlText(text, source);
  const errors = validate(data);
  if (errors.length > 0) {
    throw invalid(`${source}: ${describeErrors(errors).join('; ')}`);
  }
  return normalize(data as RawFile, source, resolve(baseDir));
}

/**
 * Reads and parses a rules file; the format by extension (`.json`, `.yaml`, `.yml`), paths in
 * it relative to its directory. `E_NOT_FOUND`/`E_UNREADABLE` when it cannot be read.
 */
export async function loadRulesFile(path: string): Promise<RulesConfig> {
  if (typeof path !== 'string' || path === '') throw invalid('loadRulesFile needs a path');
  const ext = extname(path).toLowerCase();
  const format = ext === '.json' ? 'json' : ext === '.yaml' || ext === '.yml' ? 'yaml' : null;
  if (format === null) {
    throw invalid(`${quote(path)}: a rules file ends in .json, .yaml or .yml`);
  }
  let text: string;
  try {
    const bytes = await readFile(path);
    if (bytes.length > MAX_RULES_BYTES) {
      throw invalid(`${quote(path)}: larger than ${MAX_RULES_BYTES} bytes`);
    }
    text = bytes.toString('utf8');
  } catch (err) {
    if (hasErrorCode(err, 'E_INVALID_ARGUMENT')) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new ProcessSummaryError(
      code === 'ENOENT' ? 'E_NOT_FOUND' : 'E_UNREADABLE',
      `alerts: cannot read the rules file ${quote(path)} (${code ?? String(err)})`,
      { cause: err },
    );
  }
  return parseRules(text, { format, source: path, baseDir: dirname(resolve(path)) });
}

function invalid(message: string): ProcessSummaryError {
  return new ProcessSummaryError('E_INVALID_ARGUMENT', `alerts: ${message}`);
}

function parseJsonText(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw invalid(`${source}: not JSON (${(err as Error).message})`);
  }
}

function parseYamlText(text: string, source: string): unknown {
  // The core schema only (no custom tags, no dates as objects), few aliases (no billion
  // laughs). parseDocument collects warnings instead of writing them to stderr; any warning
  // (an unknown tag such as !!js/function, read as a string otherwise) is refused.
  let doc: ReturnType<typeof parseDocument>;
  try {
    doc = parseDocument(text, { schema: 'core', uniqueKeys: true, prettyErrors: true });
  } catch (err) {
    const message = (err as Error).message.split('\n')[0] ?? String(err);
    throw invalid(`${source}: not YAML (${message})`);
  }
  const problem = doc.errors[0] ?? doc.warnings[0];
  if (problem !== undefined) {
    // With prettyErrors the first line ends with "at line L, column C:".
    const message = (problem.message.split('\n')[0] ?? '').replace(/:$/, '');
    throw invalid(`${source}: not YAML (${problem.code}: ${message})`);
  }
  try {
    return doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    const message = (err as Error).message.split('\n')[0] ?? String(err);
    throw invalid(`${source}: not YAML (${message})`);
  }
}

/** Whether `text` (as the schema's pattern allows it) names a real calendar date and time. */
function isCalendarDate(text: string): boolean {
  const m =
    /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(?:Z|([+-])(\d{2}):(\d{2}))$/.exec(
      text,
    );
  if (m === null) return false;
  const [y = 0, mo = 0, d = 0, h = 0, mi = 0, se = 0, , oh = 0, om = 0] = m
    .slice(1)
    .map((x) => Number(x ?? 0));
  if (mo < 1 || mo > 12 || d < 1) return false;
  const days = new Date(Date.UTC(y, mo, 0)).getUTCDate();
  return d <= days && h <= 23 && mi <= 59 && se <= 59 && oh <= 23 && om <= 59;
}

// ---- messages ------------------------------------------------------------------------------

const DURATION_SCHEMA = '#/$defs/duration/';

/** ajv's errors as `path: message`, a duration's alternatives said once. */
function describeErrors(errors: readonly ErrorObject[]): string[] {
  const durationPaths = new Set(
    errors.filter((e) => e.schemaPath === `${DURATION_SCHEMA}anyOf`).map((e) => e.instancePath),
  );
  const out: string[] = [];
  for (const e of errors) {
    if (durationPaths.has(e.instancePath) && e.schemaPath.startsWith(DURATION_SCHEMA)) {
      if (e.schemaPath === `${DURATION_SCHEMA}anyOf`) {
        out.push(`${pathOf(e.instancePath)}: must be a duration (30s, 2m, 1h30m, 1d, or seconds)`);
      }
      continue;
    }
    out.push(`${pathOf(e.instancePath)}: ${messageOf(e)}`);
  }
  return [...new Set(out)];
}

function pathOf(pointer: string): string {
  if (pointer === '') return '(root)';
  return pointer
    .slice(1)
    .split('/')
    .map((s) => escapeForMessage(s.replaceAll('~1', '/').replaceAll('~0', '~')))
    .join('/');
}

function messageOf(e: ErrorObject): string {
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties':
      return `unknown key ${quote(params.additionalProperty)}`;
    case 'required':
      return `missing key ${quote(params.missingProperty)}`;
    case 'enum':
      return `must be one of ${(params.allowedValues as unknown[]).map((v) => quote(v)).join(', ')}`;
    case 'const':
      return `must be ${quote(params.allowedValue)}`;
    case 'propertyNames':
      return `bad key ${quote(params.propertyName)}`;
    case 'discriminator':
      return params.error === 'mapping'
        ? `type must be one of "webhook", "slack", "alertmanager", "command"`
        : `must have a string "type"`;
    default:
      return e.message ?? e.keyword;
  }
}

// ---- normalization -------------------------------------------------------------------------

interface RawFile {
  rules: RawRule[];
  notifiers?: RawNotifier[];
  settings?: Record<string, unknown>;
}
interface RawRule {
  name: string;
  match?: { run?: string; process?: string; worker?: string };
  when: Record<string, unknown>;
  for?: string | number;
  repeat_every?: string | number;
  severity?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface RawNotifier {
  type: NotifierConfig['type'];
  name?: string;
  timeout?: string | number;
  max_attempts?: number;
  url?: string;
  secret_file?: string;
  argv?: string[];
}

function normalize(raw: RawFile, source: string, baseDir: string): RulesConfig {
  const at = (path: string) => `${source}: ${path}`;
  const seen = new Map<string, number>();
  const rules = raw.rules.map((rule, i) => {
    const where = `rules/${i}`;
    const before = seen.get(rule.name);
    if (before !== undefined) {
      throw invalid(
        `${at(`${where}/name`)}: duplicate rule name ${quote(rule.name)} (also rules/${before})`,
      );
    }
    seen.set(rule.name, i);
    return normalizeRule(rule, (p) => at(`${where}${p}`));
  });
  const settings = raw.settings ?? {};
  const evaluateEvery = parseDuration(settings.evaluate_every ?? 15, at('settings/evaluate_every'));
  if (evaluateEvery < 1) throw invalid(`${at('settings/evaluate_every')}: must be at least 1s`);
  const repeatEvery = parseDuration(settings.repeat_every ?? 4 * 3600, at('settings/repeat_every'));
  if (repeatEvery < 1) throw invalid(`${at('settings/repeat_every')}: must be at least 1s`);
  const dashboard = settings.dashboard_url;
  if (typeof dashboard === 'string') checkUrl(dashboard, at('settings/dashboard_url'));
  return {
    rules,
    notifiers: normalizeNotifiers(raw.notifiers ?? [], at, baseDir),
    settings: {
      evaluate_every_seconds: evaluateEvery,
      repeat_every_seconds: repeatEvery,
      resolve_notify: settings.resolve_notify !== false,
      stale_after_seconds: parseDuration(
        settings.stale_after ?? DEFAULT_STALE_AFTER_SECONDS,
        at('settings/stale_after'),
      ),
      forget_finished_after_seconds: parseDuration(
        settings.forget_finished_after ?? 86_400,
        at('settings/forget_finished_after'),
      ),
      dashboard_url: typeof dashboard === 'string' ? dashboard : null,
    },
  };
}

function normalizeRule(rule: RawRule, at: (path: string) => string): AlertRule {
  const match: RuleMatch = {
    run: rule.match?.run ?? '*',
    process: rule.match?.process ?? '*',
    worker: rule.match?.worker ?? null,
  };
  for (const key of ['run', 'process', 'worker'] as const) {
    const glob = match[key];
    if (glob === null) continue;
    // Names hold no '/': such a glob would silently match nothing.
    if (glob.includes('/')) {
      throw invalid(`${at(`/match/${key}`)}: ${quote(glob)} contains '/', which no name holds`);
    }
    try {
      picomatch(glob, { dot: true });
    } catch (err) {
      throw invalid(`${at(`/match/${key}`)}: not a glob (${(err as Error).message})`);
    }
  }
  const labels = { ...(rule.labels ?? {}) };
  for (const key of Object.keys(labels)) {
    if (key.startsWith('__')) {
      throw invalid(
        `${at(`/labels/${key}`)}: ${quote(key)}: label names starting with '__' are reserved (Prometheus, Alertmanager)`,
      );
    }
    if (RESERVED_LABELS.has(key)) {
      throw invalid(
        `${at(`/labels/${key}`)}: ${quote(key)} is set by the alerter (reserved: ${[...RESERVED_LABELS].join(', ')})`,
      );
    }
  }
  const annotations = { ...(rule.annotations ?? {}) };
  for (const [key, template] of Object.entries(annotations)) {
    checkTemplate(template, Object.keys(labels), at(`/annotations/${key}`));
  }
  const repeat =
    rule.repeat_every === undefined ? null : parseDuration(rule.repeat_every, at('/repeat_every'));
  if (repeat !== null && repeat < 1) throw invalid(`${at('/repeat_every')}: must be at least 1s`);
  return {
    name: rule.name,
    match,
    when: normalizeWhen(rule.when, (p) => at(`/when${p}`)),
    for_seconds: rule.for === undefined ? 0 : parseDuration(rule.for, at('/for')),
    repeat_every_seconds: repeat,
    severity: rule.severity ?? 'warning',
    labels,
    annotations,
  };
}

function normalizeWhen(
  when: Record<string, unknown>,
  at: (path: string) => string,
): RuleConditions {
  const out: RuleConditions = {};
  if (when.status !== undefined) out.status = [...(when.status as DisplayStatus[])];
  if (when.no_progress_for !== undefined) {
    out.no_progress_for_seconds = parseDuration(when.no_progress_for, at('/no_progress_for'));
  }
  if (when.stale_for !== undefined) {
    out.stale_for_seconds = parseDuration(when.stale_for, at('/stale_for'));
  }
  if (when.error_rate_percent !== undefined) {
    const e = when.error_rate_percent as {
      above: number;
      window?: unknown;
      min_attempted?: number;
    };
    const window =
      e.window === undefined ? null : parseDuration(e.window, at('/error_rate_percent/window'));
    if (window !== null && window < 1) {
      throw invalid(`${at('/error_rate_percent/window')}: must be at least 1s`);
    }
    out.error_rate_percent = {
      above: e.above,
      window_seconds: window,
      min_attempted: e.min_attempted ?? 1,
    };
  }
  if (when.error_type_count !== undefined) {
    const e = when.error_type_count as { type: string; above: number };
    out.error_type_count = { type: e.type, above: e.above };
  }
  if (when.rate_below_median_share !== undefined) {
    const r = when.rate_below_median_share as { share: number; min_runs?: number };
    out.rate_below_median_share = { share: r.share, min_runs: r.min_runs ?? 3 };
  }
  if (when.eta_after !== undefined) {
    const text = when.eta_after as string;
    const ms = Date.parse(text);
    // Date.parse rolls February 30 over into March and 24:00 into the next day.
    if (!Number.isFinite(ms) || !isCalendarDate(text))
      throw invalid(`${at('/eta_after')}: ${quote(text)} is not a date`);
    out.eta_after = { deadline: ms / 1000, text };
  }
  if (when.custom_metric !== undefined) {
    out.custom_metric = { ...(when.custom_metric as NonNullable<RuleConditions['custom_metric']>) };
  }
  return out;
}

function checkUrl(url: string, where: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalid(`${where}: ${quote(url)} is not a URL`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw invalid(`${where}: ${quote(url)} must be http or https`);
  }
}

function normalizeNotifiers(
  raw: readonly RawNotifier[],
  at: (path: string) => string,
  baseDir: string,
): NotifierConfig[] {
  const typeCount = new Map<string, number>();
  for (const n of raw) typeCount.set(n.type, (typeCount.get(n.type) ?? 0) + 1);
  const names = new Map<string, number>();
  return raw.map((n, i) => {
    const where = `notifiers/${i}`;
    const name = n.name ?? ((typeCount.get(n.type) ?? 0) > 1 ? `${n.type}-${i}` : n.type);
    const before = names.get(name);
    if (before !== undefined) {
      throw invalid(
        `${at(`${where}/name`)}: duplicate notifier name ${quote(name)} (also notifiers/${before}); give each a name`,
      );
    }
    names.set(name, i);
    const timeout = parseDuration(n.timeout ?? DEFAULT_TIMEOUT_SECONDS, at(`${where}/timeout`));
    if (timeout <= 0) throw invalid(`${at(`${where}/timeout`)}: must be more than 0s`);
    const common = {
      name,
      timeout_seconds: timeout,
      max_attempts: n.max_attempts ?? DEFAULT_MAX_ATTEMPTS,
    };
    switch (n.type) {
      case 'webhook':
        checkUrl(n.url as string, at(`${where}/url`));
        return {
          type: 'webhook',
          ...common,
          url: n.url as string,
          secret_file: n.secret_file === undefined ? null : resolve(baseDir, n.secret_file),
        };
      case 'slack':
      case 'alertmanager':
        checkUrl(n.url as string, at(`${where}/url`));
        return { type: n.type, ...common, url: n.url as string };
      default: {
        const [program, ...args] = n.argv as [string, ...string[]];
        const resolved =
          program.includes('/') && !isAbsolute(program) ? resolve(baseDir, program) : program;
        return { type: 'command', ...common, argv: [resolved, ...args] };
      }
    }
  });
}
