import {
  canSaveSync,
  type Lease,
  type ProcessSummary,
  refName,
  type SummaryStore,
} from '@process-summary/core';
import type { Logger } from '@process-summary/store-fs';
import type { ResumeClassification } from './classify.js';
import { joinSignalHandling, leaveSignalHandling, type SignalParticipant } from './signals.js';
import type { ResolvedStore } from './store-choice.js';

export interface RunContextOptions {
  summary: ProcessSummary;
  store: SummaryStore;
  lease: Lease;
  /** Ends what was opened for the store (a pool from a URL); a no-op for a store passed in. */
  closeStore: () => Promise<void>;
  /** The store again, for an unowned removal after `closeStore` ended it. */
  reopenStore: () => Promise<ResolvedStore>;
  logger: Logger;
  heartbeatSeconds: number;
  handleSignals: boolean;
  resume: ResumeClassification | null;
}

/**
 * Everything this process does for one summary it owns: saves fenced by its lease, the
 * heartbeat (renew, checkpoint, save), the signal and exit handlers, and giving ownership up at
 * the end. Only the `SummaryStore` contract is used, so it works the same on any store.
 */
export class RunContext implements SignalParticipant {
  readonly #summary: ProcessSummary;
  readonly #store: SummaryStore;
  readonly #lease: Lease;
  readonly #closeStore: () => Promise<void>;
  readonly #reopenStore: () => Promise<ResolvedStore>;
  /** Ending the store, once started: a store opened from a URL is closed once we are done. */
  #storeClosing: Promise<void> | undefined;
  /** Whether the loss of ownership was logged (once, at error level). */
  #lostLogged = false;
  readonly #logger: Logger;
  readonly #heartbeatSeconds: number;
  readonly #handleSignals: boolean;
  readonly resume: ResumeClassification | null;
  #timer: NodeJS.Timeout | undefined;
  /** The heartbeat in progress, so `close` can wait for its save. */
  #beat: Promise<void> | undefined;
  #closed = false;
  #lost = false;
  /** A signal the application handles itself: recorded as the cause if the process then exits. */
  #notedSignal: NodeJS.Signals | null = null;

  constructor(options: RunContextOptions) {
    this.#summary = options.summary;
    this.#store = options.store;
    this.#lease = options.lease;
    this.#closeStore = options.closeStore;
    this.#reopenStore = options.reopenStore;
    this.#logger = options.logger;
    this.#heartbeatSeconds = options.heartbeatSeconds;
    this.#handleSignals = options.handleSignals;
    this.resume = options.resume;
  }

  get #name(): string {
    return refName(this.#summary);
  }

  /** Starts the heartbeat and installs the handlers. */
  start(): void {
    if (this.#heartbeatSeconds > 0) {
      this.#timer = setInterval(() => {
        this.#beat ??= this.#heartbeat().finally(() => {
          this.#beat = undefined;
        });
      }, this.#heartbeatSeconds * 1000);
      this.#timer.unref(); // bookkeeping never keeps a finished script alive
    }
    if (this.#handleSignals) joinSignalHandling(this);
  }

  /** Saves with the lease; never throws. Ends bookkeeping (and ownership) after the end. */
  async save(): Promise<boolean> {
    if (!(await this.#saveFenced())) return false;
    const status = this.#summary.status;
    if (status === 'completed' || status === 'failed') await this.close();
    return true;
  }

  /**
   * The store refuses a lease no longer current (`E_LEASE_LOST`), including one this process
   * released: a save after the end, or one queued when ownership was lost, never writes.
   */
  async #saveFenced(): Promise<boolean> {
    if (this.#lost) {
      this.#logLost({ code: 'E_LEASE_LOST' }, `${this.#name}: not saved, ownership was lost`);
      return false;
    }
    try {
      await this.#store.save(this.#summary, this.#lease);
      return true;
    } catch (err) {
      if ((err as { code?: string }).code === 'E_LEASE_LOST' && !this.#closed) {
        this.#loseOwnership();
        this.#logLost({ code: 'E_LEASE_LOST', err }, this.#saveFailureMessage(err));
        return false;
      }
      this.#logSaveFailure(err);
      return false;
    }
  }

  /** Stops the heartbeat and the handlers and gives ownership up. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#stop();
    await this.#beat;
    try {
      await this.#store.release(this.#lease);
    } finally {
      await this.#endStore();
    }
  }

  /**
   * The seed's cleanup: removes the summary with the lease, then gives ownership up. After
   * ownership was given up (a completed run), removes it unowned: the store refuses that
   * while another live owner holds the summary.
   */
  async remove(): Promise<boolean> {
    if (this.#closed) return this.#removeUnowned();
    this.#stop();
    await this.#beat;
    try {
      return await this.#store.remove(this.#lease.ref, this.#lease);
    } finally {
      try {
        await this.#store.release(this.#lease);
      } finally {
        await this.#endStore();
      }
    }
  }

  /** After the end: a store opened from a URL was closed then, so it is opened for this once. */
  async #removeUnowned(): Promise<boolean> {
    if (this.#storeClosing === undefined) return this.#store.remove(this.#lease.ref);
    const again = await this.#reopenStore();
    try {
      return await again.store.remove(this.#lease.ref);
    } finally {
      await again.close();
    }
  }

  /**
   * Closes a store opened from a URL (its pool), once nothing of ours uses it any more, so a
   * finished pipeline can exit; a store passed in is the caller's and stays open.
   */
  #endStore(): Promise<void> {
    this.#storeClosing ??= (async () => {
      await this.#beat;
      try {
        await this.#closeStore();
      } catch (err) {
        this.#logger.debug({ err }, `${this.#name}: closing the store failed: ${reason(err)}`);
      }
    })();
    return this.#storeClosing;
  }

  #stop(): void {
    this.#closed = true;
    clearInterval(this.#timer);
    leaveSignalHandling(this);
  }

  #loseOwnership(): void {
    this.#lost = true;
    this.#stop();
    void this.#endStore();
  }

  /**
   * Logs the loss of ownership once, at error level (the save or heartbeat that found it);
   * every later refused save only at debug level, so a pipeline that keeps saving after
   * losing its run does not flood its log with one error per save.
   */
  #logLost(fields: Record<string, unknown>, message: string): void {
    if (this.#lostLogged) {
      this.#logger.debug(fields, message);
      return;
    }
    this.#lostLogged = true;
    this.#logger.error(fields, message);
  }

  async #heartbeat(): Promise<void> {
    try {
      await this.#store.renew(this.#lease);
    } catch (err) {
      if ((err as { code?: string }).code === 'E_LEASE_LOST') {
        this.#loseOwnership();
        this.#logLost({ code: 'E_LEASE_LOST', err }, reason(err));
      } else {
        this.#logger.error({ code: (err as { code?: string }).code, err }, reason(err));
      }
      return;
    }
    this.#summary.checkpoint();
    // Not save(): closing waits for this heartbeat, so it must not close from inside it.
    await this.#saveFenced();
  }

  recordSignal(signal: NodeJS.Signals): Promise<void> | undefined {
    if (this.#closed) return undefined;
    this.#summary.markInterrupted({ reason: 'signal', signal });
    if (canSaveSync(this.#store)) {
      this.#saveSyncLogged();
      return undefined;
    }
    // The process does not end until the signal is raised again, after this save.
    return this.#saveFenced().then(() => {});
  }

  noteSignal(signal: NodeJS.Signals): void {
    // Nothing is marked yet: the application may finish its work and end the run normally.
    this.#notedSignal = signal;
  }

  releaseForSignal(): Promise<void> | undefined {
    if (this.#closed) return undefined;
    this.#stop();
    if (this.#store.releaseSync !== undefined) {
      this.#releaseSyncQuietly();
      return undefined;
    }
    return this.#store
      .release(this.#lease)
      .catch((err: unknown) => {
        this.#logger.error({ code: (err as { code?: string }).code, err }, reason(err));
      })
      .then(() => this.#endStore());
  }

  /**
   * A store that cannot save synchronously gets its chance here, where a script that ran to its
   * end (without `endProcess`) can still be awaited: the exit is recorded and ownership given
   * up, so the next run neither waits for the lease to expire nor mistakes the end for a crash.
   * A store with `saveSync` is left to the `exit` listener, as before.
   */
  beforeExit(): Promise<void> | undefined {
    if (this.#closed || canSaveSync(this.#store)) return undefined;
    this.#markExit();
    return (async () => {
      await this.#saveFenced();
      await this.close();
    })().catch((err: unknown) => {
      this.#logger.error({ code: (err as { code?: string }).code, err }, reason(err));
    });
  }

  #markExit(): void {
    if (this.#summary.status !== 'running') return;
    const signal = this.#notedSignal;
    this.#summary.markInterrupted(
      signal === null ? { reason: 'exit' } : { reason: 'signal', signal },
    );
  }

  onExit(): void {
    if (this.#closed) return;
    this.#markExit();
    this.#saveSyncLogged();
    this.#stop();
    // Without releaseSync the lease stays until the store judges this process gone.
    this.#releaseSyncQuietly();
  }

  #releaseSyncQuietly(): void {
    try {
      this.#store.releaseSync?.(this.#lease);
    } catch (err) {
      this.#logger.error({ code: (err as { code?: string }).code, err }, reason(err));
    }
  }

  /**
   * The final save where nothing can be awaited. A store without `saveSync` cannot make it:
   * the state saved at the last save (or at the signal) stands, and the next session
   * classifies the end from the owner it takes over.
   */
  #saveSyncLogged(): void {
    if (!canSaveSync(this.#store)) {
      this.#logger.warn(
        {},
        `${this.#name}: the store cannot save synchronously; the state at exit was not saved`,
      );
      return;
    }
    if (this.#lost) {
      this.#logLost(
        { code: 'E_LEASE_LOST' },
        `${this.#name}: not saved at exit, ownership was lost`,
      );
      return;
    }
    try {
      this.#store.saveSync(this.#summary, this.#lease);
    } catch (err) {
      if ((err as { code?: string }).code === 'E_LEASE_LOST') this.#lost = true;
      this.#logSaveFailure(err);
    }
  }

  #logSaveFailure(err: unknown): void {
    if ((err as { code?: string }).code === 'E_LEASE_LOST') {
      this.#logLost({ code: 'E_LEASE_LOST', err }, this.#saveFailureMessage(err));
      return;
    }
    this.#logger.error(
      { code: (err as { code?: string }).code, err },
      this.#saveFailureMessage(err),
    );
  }

  #saveFailureMessage(err: unknown): string {
    const text = reason(err);
    // Errors that name the summary already (a lost lease) are not prefixed with it again.
    return text.startsWith(`${this.#name}: `) ? text : `could not save ${this.#name}: ${text}`;
  }
}

/** An error's message for a log line, without the package prefix the logger adds anyway. */
export function reason(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.replace(/^process-summary(\/[a-z-]+)?: /, '');
}
