/**
 * Delivery: each notification to each notifier, with a timeout per attempt, retries with
 * exponential backoff and full jitter, then a logged failure. Never throws into the engine
 * and never blocks an evaluation: the engine enqueues and moves on. A bounded queue drops its
 * oldest notification (logged) rather than growing without end behind a dead receiver.
 */
import type { Logger } from '@process-summary/core';
import { isPermanent, type Notification, type Notifier } from './notification.js';

/** Waits `ms`, or less when `signal` aborts (then resolves too). */
export type Sleep = (ms: number, signal: AbortSignal) => Promise<void>;

/** How deliveries retry. */
export interface RetryOptions {
  /** First backoff ceiling, ms (default 1,000); doubles each attempt. */
  baseDelayMs?: number;
  /** Largest backoff ceiling, ms (default 60,000). */
  maxDelayMs?: number;
  /** Injectable for tests (default: a timer). */
  sleep?: Sleep;
  /** Injectable for tests (default `Math.random`): the jitter, in [0, 1). */
  random?: () => number;
}

/** Options of {@link DeliveryQueue}. */
export interface DeliveryQueueOptions extends RetryOptions {
  logger: Logger;
  /** Notifications waiting (not in flight) beyond which reminders are dropped and transitions refused. Default 1,000. */
  maxQueued?: number;
  /** Deliveries in flight per notifier. Default 4. */
  concurrencyPerNotifier?: number;
  /**
   * Called once per job when it is delivered, given up (`failed`), dropped from the queue, or
   * aborted by `close()` (`aborted`: the receiver may not have it, so it stays to be re-sent).
   */
  onSettled?: (job: DeliveryJob, outcome: DeliveryOutcome) => void;
}

/** How a job ended. */
export type DeliveryOutcome = 'delivered' | 'failed' | 'dropped' | 'aborted';

/** One notification for one notifier. */
export interface DeliveryJob {
  notifier: Notifier;
  notification: Notification;
  /**
   * A reminder (a repeated firing, an Alertmanager refresh) the queue may drop when full. A
   * state transition (a first firing, a resolve) is never dropped: beyond the bound it is
   * refused instead (`enqueue` returns false) and its owner offers it again later.
   */
  droppable?: boolean;
}

export const DEFAULT_TIMEOUT_SECONDS = 10;
/** How long `close` waits, after aborting, for deliveries to notice. */
const ABORT_GRACE_MS = 1000;
export const DEFAULT_MAX_ATTEMPTS = 5;

/** A timer sleep that ends early when `signal` aborts. */
export const timerSleep: Sleep = (ms, signal) =>
  new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done);
  });

/** The backoff before attempt `attempt + 1` (full jitter): random in [0, min(max, base × 2^(attempt-1))). */
export function backoffMs(attempt: number, options: RetryOptions, random: () => number): number {
  const base = options.baseDelayMs ?? 1000;
  const max = options.maxDelayMs ?? 60_000;
  const ceiling = Math.min(max, base * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * ceiling);
}

/**
 * Delivers `notification` through `notifier`: attempts with a timeout each, backoff between
 * them; a permanent error (a 4xx answer) is not retried. Resolves `true` when delivered,
 * `false` after the last attempt failed (logged) or `signal` aborted; never throws.
 */
export async function deliver(
  notifier: Notifier,
  notification: Notification,
  options: RetryOptions & { logger: Logger; signal: AbortSignal },
): Promise<boolean> {
  return (await deliverOutcome(notifier, notification, options)) === 'delivered';
}

/**
 * Like {@link deliver}, telling a give-up (`failed`: every attempt made, or a permanent error)
 * from an abort by `signal` (`aborted`: the alerter closing, the notification to be re-sent).
 */
export async function deliverOutcome(
  notifier: Notifier,
  notification: Notification,
  options: RetryOptions & { logger: Logger; signal: AbortSignal },
): Promise<'delivered' | 'failed' | 'aborted'> {
  const { logger, signal } = options;
  const sleep = options.sleep ?? timerSleep;
  const random = options.random ?? Math.random;
  // A timer longer than 2^31 - 1 ms would fire at once instead.
  const timeoutMs = Math.min(
    (notifier.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS) * 1000,
    2 ** 31 - 1,
  );
  const attempts = notifier.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  const fields = {
    notifier: notifier.name,
    rule: notification.rule,
    status: notification.status,
    fingerprint: notification.fingerprint,
  };
  for (let attempt = 1; attempt <= attempts; attempt += 1) {
    if (signal.aborted) break;
    try {
      await notifier.send(notification, AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]));
      logger.info({ ...fields, attempt }, 'alerts: notification delivered');
      return 'delivered';
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (signal.aborted) break;
      if (attempt === attempts || isPermanent(err)) {
        logger.error(
          { ...fields, attempt, error: message },
          `alerts: notification not delivered to ${notifier.name} after ${attempt} attempt(s): ${message}`,
        );
        return 'failed';
      }
      const delay = backoffMs(attempt, options, random);
      logger.warn(
        { ...fields, attempt, error: message, retry_in_ms: delay },
        `alerts: delivery to ${notifier.name} failed, retrying: ${message}`,
      );
      await sleep(delay, signal);
    }
  }
  logger.error(
    fields,
    `alerts: notification to ${notifier.name} abandoned (alerter closing); kept to be re-sent`,
  );
  return 'aborted';
}

interface Running {
  job: DeliveryJob;
  key: string;
}

/**
 * Jobs delivered in the background, in order per notifier and alert (a resolve never
 * overtakes its firing), up to `concurrencyPerNotifier` alerts at once per notifier.
 */
export class DeliveryQueue {
  readonly #options: DeliveryQueueOptions;
  readonly #queued: DeliveryJob[] = [];
  readonly #running = new Set<Running>();
  readonly #abort = new AbortController();
  #idleWaiters: (() => void)[] = [];

  constructor(options: DeliveryQueueOptions) {
    this.#options = options;
  }

  /** Jobs waiting or in flight. */
  get size(): number {
    return this.#queued.length + this.#running.size;
  }

  /** Whether a job that cannot be dropped would be accepted now. */
  get hasRoom(): boolean {
    return this.#queued.length < (this.#options.maxQueued ?? 1000);
  }

  /**
   * Adds a job. Beyond the bound the oldest waiting droppable job is dropped (logged, settled
   * `dropped`); when none is, a job that is not droppable is refused: it is not queued, not
   * settled, and `false` is returned (its owner keeps it and offers it again).
   */
  enqueue(job: DeliveryJob): boolean {
    if (this.#abort.signal.aborted) {
      this.#settle(job, 'dropped');
      return false;
    }
    this.#queued.push(job);
    const max = this.#options.maxQueued ?? 1000;
    while (this.#queued.length > max) {
      const index = this.#queued.findIndex((j) => j.droppable === true);
      if (index === -1) {
        this.#queued.pop();
        this.#options.logger.warn(
          {
            notifier: job.notifier.name,
            rule: job.notification.rule,
            fingerprint: job.notification.fingerprint,
            status: job.notification.status,
          },
          `alerts: delivery queue full (${max} waiting): this notification waits until there is room (kept in the persisted state)`,
        );
        return false;
      }
      const [dropped] = this.#queued.splice(index, 1) as [DeliveryJob];
      this.#options.logger.error(
        {
          notifier: dropped.notifier.name,
          rule: dropped.notification.rule,
          fingerprint: dropped.notification.fingerprint,
          status: dropped.notification.status,
        },
        `alerts: delivery queue full (${max} waiting): a repeated notification was dropped`,
      );
      this.#settle(dropped, 'dropped');
      if (dropped === job) return false;
    }
    this.#pump();
    return true;
  }

  /** Resolves when nothing waits and nothing is in flight. */
  idle(): Promise<void> {
    if (this.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /**
   * Waits up to `graceMs` for the queue to drain, then aborts what is in flight and drops what
   * waits (each logged). Later jobs are dropped at once.
   */
  async close(graceMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.idle(),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, graceMs);
      }),
    ]);
    clearTimeout(timer);
    this.#abort.abort();
    for (const job of this.#queued.splice(0)) {
      this.#options.logger.error(
        {
          notifier: job.notifier.name,
          rule: job.notification.rule,
          fingerprint: job.notification.fingerprint,
        },
        'alerts: alerter closed before this notification was sent',
      );
      this.#settle(job, 'dropped');
    }
    // A notifier that ignores its signal is not waited for without end either.
    await Promise.race([
      this.idle(),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, ABORT_GRACE_MS);
        timer.unref();
      }),
    ]);
    clearTimeout(timer);
  }

  #pump(): void {
    const perNotifier = this.#options.concurrencyPerNotifier ?? 4;
    const busy = new Set([...this.#running].map((r) => r.key));
    const inFlight = new Map<string, number>();
    for (const r of this.#running) {
      inFlight.set(r.job.notifier.name, (inFlight.get(r.job.notifier.name) ?? 0) + 1);
    }
    for (let i = 0; i < this.#queued.length; ) {
      const job = this.#queued[i] as DeliveryJob;
      const key = JSON.stringify([job.notifier.name, job.notification.fingerprint]);
      const count = inFlight.get(job.notifier.name) ?? 0;
      if (busy.has(key) || count >= perNotifier) {
        // Later jobs of the same alert wait behind this one: order per alert is kept.
        busy.add(key);
        i += 1;
        continue;
      }
      this.#queued.splice(i, 1);
      busy.add(key);
      inFlight.set(job.notifier.name, count + 1);
      this.#start({ job, key });
    }
  }

  #start(running: Running): void {
    this.#running.add(running);
    void deliverOutcome(running.job.notifier, running.job.notification, {
      ...this.#options,
      signal: this.#abort.signal,
    }).then((outcome) => {
      this.#running.delete(running);
      this.#settle(running.job, outcome);
      this.#pump();
      this.#checkIdle();
    });
  }

  #settle(job: DeliveryJob, outcome: DeliveryOutcome): void {
    try {
      this.#options.onSettled?.(job, outcome);
    } catch (err) {
      this.#options.logger.error({ error: String(err) }, 'alerts: a delivery callback threw');
    }
  }

  #checkIdle(): void {
    if (this.size !== 0) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
