/**
 * An alert's state machine (inactive → pending → firing → resolved) and its persistence in the
 * store's medium (`readState`/`writeState`, compare-and-swap on a version). A transition that
 * sends is persisted with the notification in `pending_delivery` BEFORE it is sent and
 * cleared after: a restart re-sends what may not have arrived (at-least-once) and never
 * re-sends what was recorded as delivered, nor forgets a resolve.
 */
import { createHash } from 'node:crypto';
import type { Logger } from '@process-summary/core';
import {
  canKeepState,
  hasErrorCode,
  type JsonValue,
  MAX_STATE_BYTES,
  quote,
  type SummaryStore,
} from '@process-summary/core';
import type { Notification } from './notification.js';

/** Where an alert is. Inactive alerts are not kept. */
export type AlertPhase = 'pending' | 'firing' | 'resolved';

/** A notification persisted before it is sent, and the notifiers it has not reached yet. */
export interface PendingDelivery {
  id: string;
  notification: Notification;
  notifiers: string[];
  /** A repeated firing: the queue may drop it when full (the receiver has the firing). */
  repeat?: boolean;
}

/** One alert: a rule on one target (run, process, worker). Times are epoch seconds. */
export interface AlertState {
  fingerprint: string;
  rule: string;
  run: string;
  process: string;
  worker: string | null;
  state: AlertPhase;
  /** Since when the conditions hold (`for` counts from here). */
  pending_since: number | null;
  firing_since: number | null;
  resolved_at: number | null;
  /** When the last firing notification was made (the repeat interval counts from here). */
  last_sent: number | null;
  /** The value last judged. */
  value: number | string | null;
  severity: string;
  labels: Record<string, string>;
  /** Rendered at the last evaluation that held. */
  annotations: Record<string, string>;
  /** Notifications not yet delivered to every notifier; re-sent after a restart. */
  pending_delivery: PendingDelivery[];
}

/** The stable identity of a rule on a target: receivers deduplicate on it. */
export function fingerprintOf(
  rule: string,
  run: string,
  process: string,
  worker: string | null,
): string {
  return createHash('sha256')
    .update(JSON.stringify([rule, run, process, worker]))
    .digest('hex')
    .slice(0, 16);
}

/** What one evaluation of an alert decides. */
export interface StepInput {
  now: number;
  holds: boolean;
  forSeconds: number;
  repeatSeconds: number;
}

/** The next state and what to send: `null` state = inactive (forgotten). */
export interface StepResult {
  next: AlertState | null;
  send: 'firing' | 'resolved' | null;
}

/**
 * The state machine. Holding: inactive/resolved → pending (→ firing at once when `for` is 0);
 * pending → firing once it held `for`; firing → a repeated firing every `repeat`. Not holding:
 * pending → inactive; firing → resolved (sent once); resolved stays.
 */
export function step(current: AlertState, input: StepInput): StepResult {
  const { now, holds } = input;
  if (!holds) {
    if (current.state === 'pending') return { next: null, send: null };
    if (current.state === 'firing') {
      return { next: { ...current, state: 'resolved', resolved_at: now }, send: 'resolved' };
    }
    return { next: current, send: null };
  }
  if (current.state === 'resolved') {
    return step(
      { ...current, state: 'pending', pending_since: now, firing_since: null, resolved_at: null },
      input,
    );
  }
  if (current.state === 'pending') {
    const since = current.pending_since ?? now;
    if (now - since >= input.forSeconds) {
      return {
        next: { ...current, state: 'firing', firing_since: now, last_sent: now },
        send: 'firing',
      };
    }
    return { next: current, send: null };
  }
  if (current.last_sent === null || now - current.last_sent >= input.repeatSeconds) {
    return { next: { ...current, last_sent: now }, send: 'firing' };
  }
  return { next: current, send: null };
}

/** The persisted document's format. */
export const STATE_FORMAT = 1;

interface StateDocumentValue {
  format: number;
  alerts: AlertState[];
}

/** Which alerts of a shared state document are this alerter's (by rule name). */
export interface StateOwner {
  owns(rule: string): boolean;
  /** Called with the other alerters' alerts as found at a write conflict. */
  adoptForeign(foreign: AlertState[]): void;
}

/**
 * Reads and writes the alerts under one key of the store; in memory (with a warning) when the
 * store cannot keep state. Writes are serialized and never throw (a failure is logged: alerts
 * still go out, only a restart may then repeat or miss one).
 */
export class StateKeeper {
  readonly #store: SummaryStore;
  readonly #key: string;
  readonly #logger: Logger;
  #version: number | null = null;
  #chain: Promise<void> = Promise.resolve();
  #queued: Promise<void> | null = null;
  #dirty = false;

  readonly #owner: StateOwner;

  constructor(store: SummaryStore, key: string, logger: Logger, owner?: StateOwner) {
    this.#store = store;
    this.#key = key;
    this.#logger = logger;
    this.#owner = owner ?? { owns: () => true, adoptForeign: () => {} };
  }

  /** The last write failed: the stored state is behind, write again at the next chance. */
  get dirty(): boolean {
    return this.#dirty;
  }

  /** Whether the store keeps the state (else it lives in memory only). */
  get persistent(): boolean {
    return canKeepState(this.#store);
  }

  /** The persisted alerts (empty when none, unreadable ones skipped with a warning). */
  async load(): Promise<Map<string, AlertState>> {
    const alerts = new Map<string, AlertState>();
    if (!canKeepState(this.#store)) {
      this.#logger.warn(
        { key: this.#key },
        'alerts: this store cannot keep state; alert state is kept in memory only (a restart may repeat a firing notification or miss a resolve)',
      );
      return alerts;
    }
    const doc = await this.#store.readState(this.#key);
    this.#version = doc?.version ?? null;
    for (const alert of this.#alertsOf(doc?.value ?? null)) alerts.set(alert.fingerprint, alert);
    return alerts;
  }

  /** Persists `snapshot()` (taken when the write starts); coalesces with a write not yet started. */
  save(snapshot: () => AlertState[]): Promise<void> {
    if (!canKeepState(this.#store)) return Promise.resolve();
    if (this.#queued !== null) return this.#queued;
    const queued = this.#chain.then(async () => {
      this.#queued = null;
      await this.#write(snapshot());
    });
    this.#queued = queued;
    this.#chain = queued;
    return queued;
  }

  async #write(alerts: AlertState[]): Promise<void> {
    const store = this.#store;
    if (!canKeepState(store)) return;
    let mine: StateDocumentValue = { format: STATE_FORMAT, alerts };
    for (let attempt = 1; attempt <= 5; attempt += 1) {
      try {
        this.#version = await store.writeState(this.#key, this.#fit(mine), this.#version);
        this.#dirty = false;
        return;
      } catch (err) {
        if (!hasErrorCode(err, 'E_CONFLICT') || attempt === 5) {
          this.#dirty = true;
          this.#logger.error(
            { key: this.#key, error: err instanceof Error ? err.message : String(err) },
            `alerts: cannot persist the alert state under ${quote(this.#key)}; alerts still go out, but a restart may repeat or miss one; written again at the next evaluation`,
          );
          return;
        }
        // Another writer of the same key: alerts of rules this alerter does not have are
        // theirs (taken as they are now, and kept by every later write); of its own rules,
        // this alerter's view wins, and ones it does not know are kept.
        const theirs = await store.readState(this.#key).catch(() => null);
        this.#version = theirs?.version ?? null;
        const theirAlerts = this.#alertsOf(theirs?.value ?? null);
        const foreign = theirAlerts.filter((a) => !this.#owner.owns(a.rule));
        this.#owner.adoptForeign(foreign);
        const own = alerts.filter((a) => this.#owner.owns(a.rule));
        const known = new Set(own.map((a) => a.fingerprint));
        const merged = [
          ...foreign,
          ...theirAlerts.filter((a) => this.#owner.owns(a.rule) && !known.has(a.fingerprint)),
          ...own,
        ];
        mine = { format: STATE_FORMAT, alerts: merged };
        this.#logger.warn(
          { key: this.#key, version: this.#version },
          `alerts: the state under ${quote(this.#key)} was changed by another writer; merged and written again (give each alerter its own stateKey)`,
        );
      }
    }
  }

  #fit(doc: StateDocumentValue): JsonValue {
    const full = toJson(doc);
    const size = sizeOf(full);
    if (size <= STATE_BUDGET_BYTES) return full;
    const compact = compactState(doc);
    const compactSize = sizeOf(compact);
    const fits = compactSize <= STATE_BUDGET_BYTES;
    this.#logger[fits ? 'warn' : 'error'](
      { key: this.#key, bytes: size, compacted_bytes: compactSize, alerts: doc.alerts.length },
      fits
        ? `alerts: the state under ${quote(this.#key)} is large (${size} bytes); written compacted (fewer annotations kept)`
        : `alerts: the state under ${quote(this.#key)} is too large even compacted (${compactSize} bytes for ${doc.alerts.length} alerts): use fewer, narrower rules or several state keys`,
    );
    return compact;
  }

  #alertsOf(value: JsonValue | null): AlertState[] {
    if (value === null) return [];
    const doc = value as Partial<StateDocumentValue>;
    if (typeof doc !== 'object' || doc.format !== STATE_FORMAT || !Array.isArray(doc.alerts)) {
      this.#logger.warn(
        { key: this.#key },
        `alerts: the state under ${quote(this.#key)} is not in a format this version reads; starting without it`,
      );
      return [];
    }
    const valid: AlertState[] = [];
    for (const a of doc.alerts as unknown[]) {
      const problem = alertProblem(a);
      if (problem === null) valid.push(a as AlertState);
      else
        this.#logger.warn(
          { key: this.#key, problem },
          `alerts: an unreadable alert in the persisted state was skipped (${problem})`,
        );
    }
    return valid;
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isStringRecord = (v: unknown): boolean =>
  isRecord(v) && Object.values(v).every((x) => typeof x === 'string');
const isTime = (v: unknown): boolean => v === null || (typeof v === 'number' && Number.isFinite(v));
const isValue = (v: unknown): boolean =>
  v === null || typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v));

function notificationProblem(n: unknown): string | null {
  if (!isRecord(n)) return 'notification is not an object';
  if (n.status !== 'firing' && n.status !== 'resolved') return 'notification.status';
  for (const key of ['rule', 'severity', 'run', 'process', 'starts_at', 'fingerprint'] as const) {
    if (typeof n[key] !== 'string') return `notification.${key}`;
  }
  if (n.worker !== null && typeof n.worker !== 'string') return 'notification.worker';
  if (n.ends_at !== null && typeof n.ends_at !== 'string') return 'notification.ends_at';
  if (!isStringRecord(n.labels)) return 'notification.labels';
  if (!isStringRecord(n.annotations)) return 'notification.annotations';
  if (!isValue(n.value)) return 'notification.value';
  return null;
}

/** Why a persisted alert cannot be used (every field is checked), or null. */
function alertProblem(a: unknown): string | null {
  if (!isRecord(a)) return 'not an object';
  if (typeof a.fingerprint !== 'string' || !/^[0-9a-f]{16}$/.test(a.fingerprint))
    return 'fingerprint';
  for (const key of ['rule', 'run', 'process', 'severity'] as const) {
    if (typeof a[key] !== 'string') return key;
  }
  if (a.worker !== null && typeof a.worker !== 'string') return 'worker';
  if (a.state !== 'pending' && a.state !== 'firing' && a.state !== 'resolved') return 'state';
  for (const key of ['pending_since', 'firing_since', 'resolved_at', 'last_sent'] as const) {
    if (!isTime(a[key])) return key;
  }
  if (!isValue(a.value)) return 'value';
  if (!isStringRecord(a.labels)) return 'labels';
  if (!isStringRecord(a.annotations)) return 'annotations';
  if (!Array.isArray(a.pending_delivery)) return 'pending_delivery';
  for (const [i, p] of a.pending_delivery.entries()) {
    if (!isRecord(p)) return `pending_delivery[${i}]`;
    if (typeof p.id !== 'string') return `pending_delivery[${i}].id`;
    if (!Array.isArray(p.notifiers) || !p.notifiers.every((x) => typeof x === 'string'))
      return `pending_delivery[${i}].notifiers`;
    if (p.repeat !== undefined && typeof p.repeat !== 'boolean')
      return `pending_delivery[${i}].repeat`;
    const problem = notificationProblem(p.notification);
    if (problem !== null) return `pending_delivery[${i}].${problem}`;
  }
  return null;
}

/** Leaves room for the store's own framing of the document. */
const STATE_BUDGET_BYTES = MAX_STATE_BYTES - 16 * 1024;

function sizeOf(value: JsonValue): number {
  return Buffer.byteLength(JSON.stringify(value));
}

function capText(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function capAnnotations(
  annotations: Record<string, string>,
  max: number,
  only?: string,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(annotations)) {
    if (only === undefined || key === only) out[key] = capText(value, max);
  }
  return out;
}

/**
 * The document as written, made smaller step by step while it is over the store's limit (a
 * document that cannot be written makes a restart repeat every firing): first resolved alerts
 * whose resolve went out and the annotations kept for a later resolve (only `summary`,
 * capped); then the annotations of notifications still to be sent (capped, then `summary`
 * only). What decides what is sent again (state, times, pending_delivery) is always kept.
 */
export function compactState(value: StateDocumentValue, budget = STATE_BUDGET_BYTES): JsonValue {
  let json = toJson(value);
  if (sizeOf(json) <= budget) return json;
  const steps: ((a: AlertState) => AlertState | null)[] = [
    (a) =>
      a.state === 'resolved' && a.pending_delivery.length === 0
        ? null
        : { ...a, annotations: capAnnotations(a.annotations, 512, 'summary') },
    (a) => ({
      ...a,
      pending_delivery: a.pending_delivery.map((p) => ({
        ...p,
        notification: {
          ...p.notification,
          annotations: capAnnotations(p.notification.annotations, 1024),
        },
      })),
    }),
    (a) => ({
      ...a,
      annotations: {},
      pending_delivery: a.pending_delivery.map((p) => ({
        ...p,
        notification: {
          ...p.notification,
          annotations: capAnnotations(p.notification.annotations, 256, 'summary'),
        },
      })),
    }),
  ];
  let alerts = value.alerts;
  for (const compact of steps) {
    alerts = alerts.map(compact).filter((a): a is AlertState => a !== null);
    json = toJson({ format: value.format, alerts });
    if (sizeOf(json) <= budget) return json;
  }
  return json;
}

function toJson(value: StateDocumentValue): JsonValue {
  // Drops undefined members: the stored document is plain JSON.
  return JSON.parse(JSON.stringify(value)) as JsonValue;
}
