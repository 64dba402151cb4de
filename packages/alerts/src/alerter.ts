/**
 * The engine: reads the summaries, judges each rule on each matching target, moves each
 * alert's state machine, persists, then hands notifications to the delivery queue. Driven by
 * the store's `watch` (a changed process is re-evaluated soon, coalesced) and by a timer
 * (a stall is the absence of saves). Evaluations run one at a time and never wait for a
 * delivery, except `evaluate()`, which waits for what it sent (what `--once` needs).
 */
import {
  isLogger,
  type Logger,
  ProcessSummaryError,
  quote,
  refName,
  type SummaryStore,
  silentLogger,
} from '@process-summary/core';
import type { SummaryRow } from '@process-summary/inspect';
import picomatch from 'picomatch';
import { evaluateConditions } from './conditions.js';
import {
  type DeliveryJob,
  type DeliveryOutcome,
  DeliveryQueue,
  type RetryOptions,
} from './delivery.js';
import { RowHistory, rowKey } from './history.js';
import type { Notification, Notifier } from './notification.js';
import { buildNotifiers } from './notifiers/index.js';
import { type ReadCache, readTargets } from './read.js';
import type { AlertRule, RulesConfig } from './rules.js';
import { type AlertState, fingerprintOf, StateKeeper, step } from './state.js';
import { renderTemplate } from './template.js';

/** Options of {@link createAlerter}. */
export interface AlerterOptions {
  /** The summaries to watch. Only read; the alert state is written with `writeState` when the store keeps state. */
  store: SummaryStore;
  /** The rules (see `parseRules`, `loadRulesFile`). */
  rules: RulesConfig;
  /** Where the alerter reports what it did and what failed. Default: silent. */
  logger?: Logger;
  /** Now, epoch seconds (tests). Default: the system clock. */
  now?: () => number;
  /** The key of the persisted state. Default `alerts/default`; one per alerter on a store. */
  stateKey?: string;
  /** Where notifications go. Default: built from `rules.notifiers`. */
  notifiers?: Notifier[];
  /** Backoff of retried deliveries, and injectable sleep and jitter (tests). */
  retry?: RetryOptions;
  /** Notifications waiting for delivery beyond which the oldest is dropped (logged). Default 1,000. */
  maxQueuedDeliveries?: number;
  /** How long `close()` waits for deliveries in flight, ms. Default 5,000. */
  closeTimeoutMs?: number;
  /** Delay before re-evaluating what `watch` reported, ms (changes within it coalesce). Default 100. */
  watchDelayMs?: number;
}

/** What one evaluation did. */
export interface EvaluationResult {
  /** When it evaluated, epoch seconds. */
  at: number;
  /** Summaries read. */
  summaries: number;
  /** Alerts firing and pending after it. */
  firing: number;
  pending: number;
  /** Notifications it made (firing, repeated firing, resolved), in order. */
  notifications: Notification[];
  /**
   * Deliveries that ended while `evaluate()` waited (to each notifier, Alertmanager refreshes
   * and re-sent ones included): delivered, and failed or dropped. Zero from the background.
   */
  deliveries: { delivered: number; failed: number };
}

/** A running alerter. */
export interface Alerter {
  /**
   * Loads the state, re-sends what was not delivered, evaluates once, then follows `watch` and
   * the timer. Resolves after that first evaluation (not its deliveries); rejects when the
   * state or the store cannot be read, with nothing left running (close it).
   */
  start(): Promise<void>;
  /** One evaluation of every rule (what `--once` runs); resolves after its deliveries ended (delivered or given up). */
  evaluate(): Promise<EvaluationResult>;
  /** Stops watch and timer, waits for deliveries in flight up to `closeTimeoutMs`, persists. Idempotent. */
  close(): Promise<void>;
  /** Every alert kept (pending, firing, recently resolved), by fingerprint. */
  readonly alerts: ReadonlyMap<string, AlertState>;
}

const KEY_SEGMENT = /^[a-z0-9._-]{1,64}$/;
/** A resolved alert is kept this long after its resolve was delivered (then forgotten). */
const RESOLVED_KEPT_SECONDS = 3600;

/** Seconds as a timer delay: Node fires a longer one after 1 ms instead of waiting. */
function timerMs(seconds: number): number {
  return Math.min(seconds * 1000, 2 ** 31 - 1);
}

function invalid(message: string): ProcessSummaryError {
  return new ProcessSummaryError('E_INVALID_ARGUMENT', `alerts: createAlerter: ${message}`);
}

/**
 * An alerter over `store` with `rules`. Options are checked before anything is read
 * (`E_INVALID_ARGUMENT`); webhook secrets are read here (see `buildNotifiers`).
 */
export function createAlerter(options: AlerterOptions): Alerter {
  if (options === null || typeof options !== 'object') throw invalid('options must be an object');
  const { store, rules } = options;
  if (
    store === null ||
    typeof store !== 'object' ||
    typeof store.list !== 'function' ||
    typeof store.read !== 'function' ||
    typeof store.watch !== 'function'
  ) {
    throw invalid('store must be a SummaryStore');
  }
  if (
    rules === null ||
    typeof rules !== 'object' ||
    !Array.isArray(rules.rules) ||
    !Array.isArray(rules.notifiers) ||
    typeof rules.settings !== 'object'
  ) {
    throw invalid('rules must be a RulesConfig (see parseRules)');
  }
  const logger = options.logger ?? silentLogger;
  if (!isLogger(logger)) throw invalid('logger must have debug, info, warn and error methods');
  for (const key of ['closeTimeoutMs', 'watchDelayMs', 'maxQueuedDeliveries'] as const) {
    const value = options[key];
    if (value === undefined) continue;
    if (
      typeof value !== 'number' ||
      !Number.isFinite(value) ||
      value < (key === 'maxQueuedDeliveries' ? 1 : 0)
    ) {
      throw invalid(
        `${key} must be a finite number${key === 'maxQueuedDeliveries' ? ' >= 1' : ' >= 0'} (got ${quote(String(value))})`,
      );
    }
  }
  const now = options.now ?? (() => Date.now() / 1000);
  if (typeof now !== 'function') throw invalid('now must be a function');
  const stateKey = options.stateKey ?? 'alerts/default';
  const segments = typeof stateKey === 'string' ? stateKey.split('/') : [];
  if (
    segments.length < 1 ||
    segments.length > 4 ||
    !segments.every((s) => KEY_SEGMENT.test(s) && s !== '.' && s !== '..')
  ) {
    throw invalid(
      `stateKey ${quote(stateKey)} must be 1 to 4 '/'-separated segments of [a-z0-9._-]`,
    );
  }
  const notifiers =
    options.notifiers ??
    buildNotifiers(rules.notifiers, {
      logger,
      now,
      evaluateEverySeconds: rules.settings.evaluate_every_seconds,
    });
  const names = new Set<string>();
  for (const n of notifiers) {
    if (
      n === null ||
      typeof n !== 'object' ||
      typeof n.name !== 'string' ||
      typeof n.send !== 'function'
    ) {
      throw invalid('each notifier needs a name and a send function');
    }
    if (names.has(n.name)) throw invalid(`two notifiers are named ${quote(n.name)}`);
    names.add(n.name);
  }
  return new AlerterImpl({ ...options, logger, now, stateKey, notifiers });
}

interface Settings extends AlerterOptions {
  logger: Logger;
  now: () => number;
  stateKey: string;
  notifiers: Notifier[];
}

type Job = DeliveryJob & { id: string; fingerprint: string };

class AlerterImpl implements Alerter {
  readonly #s: Settings;
  readonly #rules: RulesConfig;
  readonly #alerts = new Map<string, AlertState>();
  readonly #history = new RowHistory();
  readonly #keeper: StateKeeper;
  /** The rules of this file: an alert of another rule belongs to another alerter on the key. */
  readonly #ruleNames: Set<string>;
  readonly #queue: DeliveryQueue;
  readonly #matchers: Map<
    string,
    {
      run: (s: string) => boolean;
      process: (s: string) => boolean;
      worker: ((s: string) => boolean) | null;
    }
  >;
  readonly #notifiers: Map<string, Notifier>;
  /** Every process row of the last reads, for the median of earlier runs. */
  readonly #processRows = new Map<string, SummaryRow>();
  /** Summaries read, re-judged without reading again while their `writtenAt` is unchanged. */
  readonly #readCache: ReadCache = new Map();
  /** When a firing alert was last sent to a refreshing notifier (Alertmanager). */
  readonly #refreshed = new Map<string, number>();
  readonly #abort = new AbortController();
  #ready: Promise<void> | null = null;
  #started: Promise<void> | null = null;
  #closing: Promise<void> | null = null;
  #lock: Promise<unknown> = Promise.resolve();
  #timer: NodeJS.Timeout | null = null;
  #watchTimer: NodeJS.Timeout | null = null;
  #dirty = new Map<string, { run: string; process: string }>();
  #background: Promise<void> | null = null;
  #fullRequested = false;
  #nextId = 0;
  /** Persisted notifications handed to the queue (`id\nnotifier`), not settled yet. */
  readonly #inQueue = new Set<string>();
  /** A persisted notification waits for room in the queue. */
  #waitingForRoom = false;
  /** An alert changed since the state was last handed to the keeper. */
  #changed = false;
  /** Deliveries ended so far, for `evaluate()`'s report. */
  readonly #outcomes = { delivered: 0, failed: 0 };

  constructor(settings: Settings) {
    this.#s = settings;
    this.#rules = settings.rules;
    this.#ruleNames = new Set(settings.rules.rules.map((r) => r.name));
    this.#keeper = new StateKeeper(settings.store, settings.stateKey, settings.logger, {
      owns: (rule) => this.#ruleNames.has(rule),
      adoptForeign: (foreign) => this.#adoptForeign(foreign),
    });
    this.#notifiers = new Map(settings.notifiers.map((n) => [n.name, n]));
    this.#matchers = new Map(
      this.#rules.rules.map((r) => [
        r.name,
        {
          run: picomatch(r.match.run, { dot: true }),
          process: picomatch(r.match.process, { dot: true }),
          worker: r.match.worker === null ? null : picomatch(r.match.worker, { dot: true }),
        },
      ]),
    );
    this.#queue = new DeliveryQueue({
      ...(settings.retry ?? {}),
      logger: settings.logger,
      maxQueued: settings.maxQueuedDeliveries ?? 1000,
      onSettled: (job, outcome) => this.#settled(job as Job, outcome),
    });
  }

  get alerts(): ReadonlyMap<string, AlertState> {
    return this.#alerts;
  }

  start(): Promise<void> {
    if (this.#closing !== null) {
      return Promise.reject(
        new ProcessSummaryError('E_INVALID_STATE', 'alerts: start after close'),
      );
    }
    this.#started ??= this.#start();
    return this.#started;
  }

  async #start(): Promise<void> {
    await this.#whenReady();
    // Watch first: a save during the first evaluation is then not missed.
    void this.#watchLoop();
    try {
      await this.#exclusive(() => this.#evaluateOnce(null));
    } catch (err) {
      // Nothing keeps running behind a failed start: the caller sees the error and closes.
      this.#abort.abort();
      throw err;
    }
    if (this.#closing !== null) return;
    const every = timerMs(this.#rules.settings.evaluate_every_seconds);
    this.#timer = setInterval(() => this.#request(true), every);
  }

  async evaluate(): Promise<EvaluationResult> {
    if (this.#closing !== null) {
      throw new ProcessSummaryError('E_INVALID_STATE', 'alerts: evaluate after close');
    }
    await this.#whenReady();
    const before = { ...this.#outcomes };
    const result = await this.#exclusive(() => this.#evaluateOnce(null));
    await this.#queue.idle();
    await this.#persist();
    return {
      ...result,
      deliveries: {
        delivered: this.#outcomes.delivered - before.delivered,
        failed: this.#outcomes.failed - before.failed,
      },
    };
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#abort.abort();
    if (this.#timer !== null) clearInterval(this.#timer);
    if (this.#watchTimer !== null) clearTimeout(this.#watchTimer);
    await this.#started?.catch(() => {});
    await this.#background;
    await this.#lock.catch(() => {});
    await this.#queue.close(this.#s.closeTimeoutMs ?? 5000);
    // Only a state that was loaded is written back: an alerter closed before its first
    // evaluation must not replace the stored state with an empty one.
    const loaded = await this.#ready?.then(
      () => true,
      () => false,
    );
    if (loaded === true) await this.#persist();
  }

  // ---- scheduling ------------------------------------------------------------------------

  #whenReady(): Promise<void> {
    if (this.#ready === null) {
      const ready = this.#load();
      this.#ready = ready;
      // A store that could not be read is asked again at the next evaluation.
      ready.catch(() => {
        if (this.#ready === ready) this.#ready = null;
      });
    }
    return this.#ready;
  }

  async #load(): Promise<void> {
    const loaded = await this.#keeper.load();
    for (const [fp, alert] of loaded) this.#alerts.set(fp, alert);
    // What was persisted but not recorded as delivered goes out again (at-least-once).
    for (const alert of this.#alerts.values()) {
      if (!this.#ruleNames.has(alert.rule)) continue;
      for (const pending of alert.pending_delivery) {
        for (const name of [...pending.notifiers]) {
          const notifier = this.#notifiers.get(name);
          if (notifier === undefined) {
            this.#s.logger.warn(
              { notifier: name, rule: alert.rule, fingerprint: alert.fingerprint },
              `alerts: a notification persisted for notifier ${quote(name)} is dropped: no such notifier now`,
            );
            pending.notifiers = pending.notifiers.filter((n) => n !== name);
            continue;
          }
          this.#s.logger.info(
            {
              notifier: name,
              rule: alert.rule,
              fingerprint: alert.fingerprint,
              status: pending.notification.status,
            },
            'alerts: re-sending a notification not recorded as delivered before the last stop',
          );
        }
      }
      alert.pending_delivery = alert.pending_delivery.filter((p) => p.notifiers.length > 0);
    }
    this.#dispatch();
  }

  /**
   * Offers every persisted notification not yet queued to the delivery queue, in order per
   * alert and notifier: one the queue refuses (full) stops the later ones of that alert and
   * notifier, so a resolve never goes out before its firing. Called after each evaluation
   * and, while something waits for room, after each delivery.
   */
  #dispatch(): void {
    if (this.#closing !== null) return;
    let waiting = false;
    for (const alert of this.#alerts.values()) {
      if (alert.pending_delivery.length === 0 || !this.#ruleNames.has(alert.rule)) continue;
      for (const name of this.#notifiers.keys()) {
        for (const pending of alert.pending_delivery) {
          if (!pending.notifiers.includes(name)) continue;
          const key = `${pending.id}\n${name}`;
          if (this.#inQueue.has(key)) continue;
          const accepted = this.#queue.enqueue({
            notifier: this.#notifiers.get(name) as Notifier,
            notification: pending.notification,
            id: pending.id,
            fingerprint: alert.fingerprint,
            droppable: pending.repeat === true,
          } as Job);
          if (!accepted) {
            waiting = true;
            break;
          }
          this.#inQueue.add(key);
        }
      }
    }
    this.#waitingForRoom = waiting;
  }

  /** Runs `fn` after every evaluation before it. */
  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#lock.then(fn, fn);
    this.#lock = run.catch(() => {});
    return run;
  }

  /** Asks for an evaluation in the background: of everything, or of the dirty processes. */
  #request(full: boolean): void {
    if (this.#closing !== null) return;
    if (full) this.#fullRequested = true;
    if (this.#background !== null) return;
    // Cleared when the drain settles, not inside it: a drain with nothing to do returns before
    // this assignment, and clearing it there would leave a settled promise here for good (no
    // evaluation would ever run again).
    this.#background = this.#drain().finally(() => {
      this.#background = null;
    });
  }

  async #drain(): Promise<void> {
    while (this.#closing === null && (this.#fullRequested || this.#dirty.size > 0)) {
      const full = this.#fullRequested;
      const scope = full ? null : [...this.#dirty.values()];
      this.#fullRequested = false;
      this.#dirty = new Map();
      try {
        await this.#exclusive(() => this.#evaluateOnce(scope));
      } catch (err) {
        this.#s.logger.error(
          { error: err instanceof Error ? err.message : String(err) },
          'alerts: evaluation failed; alerts stay as they were until the next one',
        );
      }
    }
  }

  async #watchLoop(): Promise<void> {
    const signal = this.#abort.signal;
    while (!signal.aborted) {
      try {
        for await (const ref of this.#s.store.watch({ signal })) {
          this.#dirty.set(JSON.stringify([ref.runName, ref.processName]), {
            run: ref.runName,
            process: ref.processName,
          });
          if (this.#watchTimer === null && this.#closing === null) {
            this.#watchTimer = setTimeout(() => {
              this.#watchTimer = null;
              this.#request(false);
            }, this.#s.watchDelayMs ?? 100);
          }
        }
      } catch (err) {
        if (signal.aborted) return;
        this.#s.logger.warn(
          { error: err instanceof Error ? err.message : String(err) },
          'alerts: watching the store failed; the timer still evaluates, watching again shortly',
        );
      }
      if (signal.aborted) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timerMs(this.#rules.settings.evaluate_every_seconds));
        signal.addEventListener('abort', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  // ---- evaluation ------------------------------------------------------------------------

  /**
   * One evaluation: of every summary (`scope` null) or of these processes. Store errors reject
   * and leave every alert as it was: an unreachable store resolves nothing.
   */
  async #evaluateOnce(scope: { run: string; process: string }[] | null): Promise<EvaluationResult> {
    const at = this.#s.now();
    const reading = await readTargets(this.#s.store, {
      now: at,
      staleAfterSeconds: this.#rules.settings.stale_after_seconds,
      scope,
      logger: this.#s.logger,
      cache: this.#readCache,
    });
    const inScope = (run: string, process: string) =>
      scope === null || scope.some((p) => p.run === run && p.process === process);

    for (const target of [...reading.processes, ...reading.workers]) {
      this.#history.observe(target.row, at, this.#longestWindow());
    }
    if (scope === null) this.#processRows.clear();
    else {
      for (const [key, row] of this.#processRows) {
        if (inScope(row.run_name, row.process_name)) this.#processRows.delete(key);
      }
    }
    for (const t of reading.processes) {
      this.#processRows.set(rowKey(t.row.run_name, t.row.process_name, null), t.row);
    }
    if (scope === null) {
      this.#history.retain(
        new Set(
          [...reading.processes, ...reading.workers].map((t) =>
            rowKey(t.row.run_name, t.row.process_name, t.row.worker),
          ),
        ),
      );
    }

    const notifications: { alert: AlertState; notification: Notification }[] = [];
    const seen = new Set<string>();
    for (const rule of this.#rules.rules) {
      const matcher = this.#matchers.get(rule.name);
      if (matcher === undefined) continue;
      const candidates = matcher.worker === null ? reading.processes : reading.workers;
      for (const target of candidates) {
        const { row } = target;
        if (!matcher.run(row.run_name) || !matcher.process(row.process_name)) continue;
        if (matcher.worker !== null && (row.worker === null || !matcher.worker(row.worker)))
          continue;
        if (this.#forgotten(row, at)) continue;
        const fp = fingerprintOf(rule.name, row.run_name, row.process_name, row.worker);
        seen.add(fp);
        const result = evaluateConditions(rule.when, {
          now: at,
          row,
          customMetrics: target.customMetrics,
          progressSince: this.#history.progressSince(row),
          windowCounts: (w) => this.#history.windowCounts(row, w, at),
          earlierRates: this.#earlierRates(row),
        });
        const current = this.#alerts.get(fp);
        if (current === undefined && !result.holds) continue;
        const alert: AlertState = current ?? {
          fingerprint: fp,
          rule: rule.name,
          run: row.run_name,
          process: row.process_name,
          worker: row.worker,
          state: 'pending',
          pending_since: at,
          firing_since: null,
          resolved_at: null,
          last_sent: null,
          value: result.value,
          severity: rule.severity,
          labels: { ...rule.labels },
          annotations: {},
          pending_delivery: [],
        };
        const updated: AlertState = result.holds
          ? {
              ...alert,
              value: result.value,
              severity: rule.severity,
              labels: { ...rule.labels },
              annotations: this.#render(rule, row, result.value),
            }
          : alert;
        this.#apply(updated, rule, result.holds, at, notifications);
      }
    }

    // Alerts whose summary is gone (removed, archived): they no
    // longer hold. Summaries that could not be read are left as they are.
    for (const alert of [...this.#alerts.values()]) {
      if (seen.has(alert.fingerprint) || !inScope(alert.run, alert.process)) continue;
      const rule = this.#rules.rules.find((r) => r.name === alert.rule) ?? null;
      // Another alerter's alert (same state key, another rules file): left as it is, its
      // owner judges it; resolving it here would tell receivers it recovered when it did not.
      if (rule === null) continue;
      const key = rowKey(alert.run, alert.process, alert.worker);
      if (
        rule !== null &&
        (reading.unknown.has(key) || reading.unknown.has(rowKey(alert.run, alert.process, null)))
      ) {
        continue;
      }
      this.#apply(alert, rule, false, at, notifications);
    }
    this.#prune(at);

    // Persist before sending: a crash after this point re-sends, it never loses. Also any
    // other change (an alert entering pending: `for` must survive a restart) and a state
    // whose last write failed (a store outage), whether or not anything is sent now.
    if (notifications.length > 0 || this.#changed || this.#keeper.dirty) {
      this.#changed = false;
      await this.#persist();
    }
    for (const { alert } of notifications) {
      for (const name of this.#notifiers.keys()) {
        this.#refreshed.set(JSON.stringify([name, alert.fingerprint]), at);
      }
    }
    this.#dispatch();
    this.#refresh(at);

    let firing = 0;
    let pendingCount = 0;
    for (const alert of this.#alerts.values()) {
      if (!this.#ruleNames.has(alert.rule)) continue;
      if (alert.state === 'firing') firing += 1;
      else if (alert.state === 'pending') pendingCount += 1;
    }
    this.#s.logger.debug(
      { at, summaries: reading.count, firing, pending: pendingCount, sent: notifications.length },
      'alerts: evaluated',
    );
    return {
      at,
      summaries: reading.count,
      firing,
      pending: pendingCount,
      notifications: notifications.map((n) => n.notification),
      deliveries: { delivered: 0, failed: 0 },
    };
  }

  /** Moves `alert` one step and records a notification to send. */
  #apply(
    alert: AlertState,
    rule: AlertRule | null,
    holds: boolean,
    at: number,
    out: { alert: AlertState; notification: Notification }[],
  ): void {
    const { next, send } = step(alert, {
      now: at,
      holds,
      forSeconds: rule?.for_seconds ?? 0,
      repeatSeconds: rule?.repeat_every_seconds ?? this.#rules.settings.repeat_every_seconds,
    });
    if (next === null) {
      this.#alerts.delete(alert.fingerprint);
      this.#changed = true;
      return;
    }
    const before = this.#alerts.get(next.fingerprint);
    if (
      before === undefined ||
      before.state !== next.state ||
      before.pending_since !== next.pending_since ||
      before.firing_since !== next.firing_since ||
      before.resolved_at !== next.resolved_at
    ) {
      this.#changed = true;
    }
    if (send !== null) {
      const isRepeat = send === 'firing' && alert.state === 'firing';
      if (send === 'resolved' && !this.#rules.settings.resolve_notify) {
        this.#alerts.set(next.fingerprint, next);
        return;
      }
      const notification = this.#notification(next, send);
      const notifiers = [...this.#notifiers.keys()];
      if (notifiers.length > 0) {
        next.pending_delivery = [
          ...next.pending_delivery,
          {
            id: `${Math.round(at * 1000)}-${this.#nextId++}`,
            notification,
            notifiers,
            ...(isRepeat ? { repeat: true } : {}),
          },
        ];
      }
      out.push({ alert: next, notification });
      this.#s.logger.info(
        {
          rule: next.rule,
          run: next.run,
          process: next.process,
          worker: next.worker,
          status: send,
          repeat: isRepeat,
          value: next.value,
        },
        `alerts: ${send === 'firing' ? (isRepeat ? 'still firing' : 'firing') : 'resolved'}: ${quote(next.rule)} on ${quote(refName({ runName: next.run, processName: next.process, worker: next.worker }))}`,
      );
    }
    this.#alerts.set(next.fingerprint, next);
  }

  #notification(alert: AlertState, status: 'firing' | 'resolved'): Notification {
    const iso = (t: number | null) => (t === null ? null : new Date(t * 1000).toISOString());
    return {
      status,
      rule: alert.rule,
      severity: alert.severity,
      run: alert.run,
      process: alert.process,
      worker: alert.worker,
      labels: { ...alert.labels },
      annotations: { ...alert.annotations },
      starts_at: iso(alert.firing_since ?? alert.pending_since) ?? new Date(0).toISOString(),
      ends_at: status === 'resolved' ? iso(alert.resolved_at) : null,
      value: alert.value,
      fingerprint: alert.fingerprint,
      dashboard_url: this.#dashboardUrl(alert),
    };
  }

  #dashboardUrl(alert: AlertState): string | null {
    const base = this.#rules.settings.dashboard_url;
    if (base === null) return null;
    const path = `runs/${encodeURIComponent(alert.run)}/${encodeURIComponent(alert.process)}`;
    const query = alert.worker === null ? '' : `?worker=${encodeURIComponent(alert.worker)}`;
    return `${base.endsWith('/') ? base : `${base}/`}${path}${query}`;
  }

  #render(rule: AlertRule, row: SummaryRow, value: number | string | null): Record<string, string> {
    const context = {
      rule: rule.name,
      severity: rule.severity,
      run: row.run_name,
      process: row.process_name,
      worker: row.worker,
      value,
      labels: rule.labels,
      row,
    };
    const out: Record<string, string> = {};
    for (const [key, template] of Object.entries(rule.annotations)) {
      out[key] = renderTemplate(template, context);
    }
    if (!Object.hasOwn(out, 'summary')) {
      const where = refName({
        runName: row.run_name,
        processName: row.process_name,
        worker: row.worker,
      });
      out.summary = `${rule.name} on ${where}${value === null ? '' : ` (value ${value})`}`;
    }
    return out;
  }

  /** Re-sends firing alerts to notifiers that forget them (Alertmanager), best effort. */
  #refresh(at: number): void {
    for (const notifier of this.#notifiers.values()) {
      const every = notifier.refreshSeconds;
      if (every === undefined) continue;
      for (const alert of this.#alerts.values()) {
        if (alert.state !== 'firing' || !this.#ruleNames.has(alert.rule)) continue;
        const key = JSON.stringify([notifier.name, alert.fingerprint]);
        const last = this.#refreshed.get(key);
        if (last !== undefined && at - last < every) continue;
        this.#refreshed.set(key, at);
        this.#queue.enqueue({
          notifier,
          notification: this.#notification(alert, 'firing'),
          id: 'refresh',
          fingerprint: alert.fingerprint,
          droppable: true,
        } as Job);
      }
    }
    for (const key of this.#refreshed.keys()) {
      const fp = (JSON.parse(key) as [string, string])[1];
      if (this.#alerts.get(fp)?.state !== 'firing') this.#refreshed.delete(key);
    }
  }

  /** A run no longer live whose last save is older than `forget_finished_after`. */
  #forgotten(row: SummaryRow, at: number): boolean {
    if (row.status === 'running' || row.status === 'stale') return false;
    const last = row.last_update_time ?? row.end_time;
    return last !== null && at - last > this.#rules.settings.forget_finished_after_seconds;
  }

  /** Forgets resolved alerts whose resolve went out a while ago. */
  #prune(at: number): void {
    for (const alert of [...this.#alerts.values()]) {
      if (
        alert.state === 'resolved' &&
        this.#ruleNames.has(alert.rule) &&
        alert.pending_delivery.length === 0 &&
        (alert.resolved_at ?? at) <= at - RESOLVED_KEPT_SECONDS
      ) {
        this.#alerts.delete(alert.fingerprint);
        this.#changed = true;
      }
    }
  }

  #settled(job: Job, outcome: DeliveryOutcome): void {
    if (outcome === 'delivered') this.#outcomes.delivered += 1;
    else this.#outcomes.failed += 1;
    if (job.id === 'refresh') return;
    this.#inQueue.delete(`${job.id}\n${job.notifier.name}`);
    try {
      this.#record(job, outcome);
    } finally {
      if (this.#waitingForRoom) this.#dispatch();
    }
  }

  #record(job: Job, outcome: DeliveryOutcome): void {
    // A dropped repeat is only a reminder: the receiver has the firing.
    const settles =
      outcome === 'delivered' ||
      outcome === 'failed' ||
      (outcome === 'dropped' && job.droppable === true);
    // Only a delivery or a real give-up settles a persisted transition. Aborted by close()
    // or not sent, the receiver may never have had it: it stays in pending_delivery, so a
    // restarted alerter sends it (at-least-once).
    if (!settles) {
      this.#s.logger.warn(
        { fingerprint: job.fingerprint, notifier: job.notifier.name, outcome },
        'alerts: notification not sent; kept to be sent again',
      );
      return;
    }
    const alert = this.#alerts.get(job.fingerprint);
    if (alert === undefined) return;
    const pending = alert.pending_delivery.find((p) => p.id === job.id);
    if (pending === undefined) return;
    pending.notifiers = pending.notifiers.filter((n) => n !== job.notifier.name);
    if (pending.notifiers.length === 0) {
      alert.pending_delivery = alert.pending_delivery.filter((p) => p !== pending);
    }
    if (outcome !== 'delivered') {
      this.#s.logger.debug(
        { fingerprint: job.fingerprint, notifier: job.notifier.name, outcome },
        'alerts: delivery settled without success',
      );
    }
    const status = job.notification.status;
    void this.#persist().then(() => {
      this.#s.logger.info(
        { fingerprint: job.fingerprint, notifier: job.notifier.name, status, outcome },
        'alerts: delivery recorded',
      );
    });
  }

  /**
   * Takes the other alerters' alerts as a concurrent writer left them, so that every later
   * write keeps them (a merge the next write does not undo).
   */
  #adoptForeign(foreign: AlertState[]): void {
    for (const [fp, alert] of this.#alerts) {
      if (!this.#ruleNames.has(alert.rule)) this.#alerts.delete(fp);
    }
    for (const alert of foreign) this.#alerts.set(alert.fingerprint, alert);
  }

  #persist(): Promise<void> {
    return this.#keeper.save(() => [...this.#alerts.values()]);
  }

  #longestWindow(): number {
    let longest = 0;
    for (const rule of this.#rules.rules) {
      longest = Math.max(longest, rule.when.error_rate_percent?.window_seconds ?? 0);
    }
    return longest;
  }

  /** Rates of finished earlier runs of `row`'s process (started before it), for the median. */
  #earlierRates(row: SummaryRow): number[] {
    const rates: number[] = [];
    for (const other of this.#processRows.values()) {
      if (other.process_name !== row.process_name || other.run_name === row.run_name) continue;
      if (other.status !== 'completed' && other.status !== 'completed_with_failures') continue;
      if (other.time_base !== 'epoch' || row.time_base !== 'epoch') continue;
      if (other.start_time >= row.start_time || other.processing_rate_per_second <= 0) continue;
      rates.push(other.processing_rate_per_second);
    }
    return rates;
  }
}
