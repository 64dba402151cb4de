import type { ProcessSummary, SummaryStore } from '@process-summary/core';
import type { Logger } from '@process-summary/store-fs';
import type { ResumeClassification } from './classify.js';
import type { OwnerLease } from './lease.js';
import { joinSignalHandling, leaveSignalHandling, type SignalParticipant } from './signals.js';

/** A store that can also save synchronously (FileSummaryStore), for `exit` and signal handlers. */
interface SyncSavingStore extends SummaryStore {
  saveSync(summary: ProcessSummary): void;
}

function canSaveSync(store: SummaryStore): store is SyncSavingStore {
  return typeof (store as Partial<SyncSavingStore>).saveSync === 'function';
}

export interface RunContextOptions {
  summary: ProcessSummary;
  store: SummaryStore;
  lease: OwnerLease;
  logger: Logger;
  heartbeatSeconds: number;
  handleSignals: boolean;
  resume: ResumeClassification | null;
}

/**
 * Everything this process does for one summary it owns: saves that check ownership first, the
 * heartbeat, the signal and exit handlers, and giving ownership up at the end.
 */
export class RunContext implements SignalParticipant {
  readonly #summary: ProcessSummary;
  readonly #store: SummaryStore;
  readonly #lease: OwnerLease;
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
    this.#logger = options.logger;
    this.#heartbeatSeconds = options.heartbeatSeconds;
    this.#handleSignals = options.handleSignals;
    this.resume = options.resume;
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

  /** Saves if this process still owns the run; never throws. Ends bookkeeping after the end. */
  async save(): Promise<boolean> {
    if (!(await this.#saveChecked())) return false;
    const status = this.#summary.status;
    if (status === 'completed' || status === 'failed') await this.close();
    return true;
  }

  async #saveChecked(): Promise<boolean> {
    const name = `${this.#summary.runName}/${this.#summary.processName}`;
    if (this.#lost) {
      this.#logger.error({ code: 'E_LEASE_LOST' }, `${name}: not saved, ownership was lost`);
      return false;
    }
    try {
      if (!this.#closed) await this.#lease.assertHeld();
      await this.#store.save(this.#summary);
      return true;
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'E_LEASE_LOST') this.#loseOwnership();
      this.#logger.error({ code, err }, `could not save ${name}: ${reason(err)}`);
      return false;
    }
  }

  /** Stops the heartbeat and the handlers and gives ownership up. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#stop();
    await this.#beat;
    await this.#lease.release();
  }

  #stop(): void {
    this.#closed = true;
    clearInterval(this.#timer);
    leaveSignalHandling(this);
  }

  #loseOwnership(): void {
    this.#lost = true;
    this.#stop();
  }

  async #heartbeat(): Promise<void> {
    try {
      await this.#lease.heartbeat();
    } catch (err) {
      if ((err as { code?: string }).code === 'E_LEASE_LOST') this.#loseOwnership();
      this.#logger.error({ code: (err as { code?: string }).code, err }, reason(err));
      return;
    }
    this.#summary.checkpoint();
    // Not save(): closing waits for this heartbeat, so it must not close from inside it.
    await this.#saveChecked();
  }

  recordSignal(signal: NodeJS.Signals): Promise<void> | undefined {
    if (this.#closed) return undefined;
    this.#summary.markInterrupted({ reason: 'signal', signal });
    if (canSaveSync(this.#store)) {
      this.#saveSyncLogged();
      return undefined;
    }
    // The process does not end until the signal is raised again, after this save.
    return this.#lease
      .assertHeld()
      .then(() => this.#store.save(this.#summary))
      .catch((err: unknown) => this.#logSaveFailure(err));
  }

  noteSignal(signal: NodeJS.Signals): void {
    // Nothing is marked yet: the application may finish its work and end the run normally.
    this.#notedSignal = signal;
  }

  releaseForSignal(): void {
    if (this.#closed) return;
    this.#stop();
    this.#lease.releaseSync();
  }

  onExit(): void {
    if (this.#closed) return;
    if (this.#summary.status === 'running') {
      const signal = this.#notedSignal;
      this.#summary.markInterrupted(
        signal === null ? { reason: 'exit' } : { reason: 'signal', signal },
      );
    }
    this.#saveSyncLogged();
    this.#stop();
    this.#lease.releaseSync();
  }

  #saveSyncLogged(): void {
    if (!canSaveSync(this.#store)) {
      this.#logger.warn({}, 'the store cannot save synchronously; the final state was not saved');
      return;
    }
    if (this.#lost || !this.#lease.isHeldSync()) {
      // Another process owns the run now: its file is not ours to overwrite.
      this.#lost = true;
      this.#logger.error(
        { code: 'E_LEASE_LOST' },
        `${this.#summary.runName}/${this.#summary.processName}: not saved at exit, ownership was lost`,
      );
      return;
    }
    try {
      this.#store.saveSync(this.#summary);
    } catch (err) {
      this.#logSaveFailure(err);
    }
  }

  #logSaveFailure(err: unknown): void {
    this.#logger.error(
      { code: (err as { code?: string }).code, err },
      `could not save ${this.#summary.runName}/${this.#summary.processName}: ${reason(err)}`,
    );
  }
}

/** An error's message for a log line, without the package prefix the logger adds anyway. */
export function reason(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.replace(/^process-summary: /, '');
}
