import type { ProcessSummary, SummaryStore } from '@process-summary/core';
import type { Logger } from '@process-summary/store-fs';
import type { ResumeClassification } from './classify.js';
import type { OwnerLease } from './lease.js';

/** A store that can also save synchronously (FileSummaryStore), for `exit` and signal handlers. */
interface SyncSavingStore extends SummaryStore {
  saveSync(summary: ProcessSummary): void;
}

function canSaveSync(store: SummaryStore): store is SyncSavingStore {
  return typeof (store as Partial<SyncSavingStore>).saveSync === 'function';
}

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

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
export class RunContext {
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
  #stopping = false;

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
    if (this.#handleSignals) {
      // Prepended, so the state is on disk before any other listener can exit the process.
      for (const signal of SIGNALS) process.prependListener(signal, this.#onSignal);
      process.on('exit', this.#onExit);
    }
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
    for (const signal of SIGNALS) process.removeListener(signal, this.#onSignal);
    process.removeListener('exit', this.#onExit);
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

  #onSignal = (signal: NodeJS.Signals): void => {
    const othersListen = process.listenerCount(signal) > 1;
    if (this.#stopping) {
      // A second signal while the first is being recorded: stop now.
      if (!othersListen) this.#reraise(signal);
      return;
    }
    this.#stopping = true;
    this.#summary.markInterrupted({ reason: 'signal', signal });
    if (othersListen) {
      // The application handles the signal: record it, keep ownership until it ends.
      this.#saveNowOrSoon();
      return;
    }
    if (canSaveSync(this.#store)) {
      this.#saveSyncLogged();
      this.#reraise(signal);
    } else {
      // The process does not end until the signal is raised again, after the save.
      void this.#store
        .save(this.#summary)
        .catch((err: unknown) => this.#logSaveFailure(err))
        .finally(() => this.#reraise(signal));
    }
  };

  #onExit = (): void => {
    if (this.#closed) return;
    if (this.#summary.status === 'running') this.#summary.markInterrupted({ reason: 'exit' });
    this.#saveSyncLogged();
    this.#stop();
    this.#lease.releaseSync();
  };

  /** Gives up everything and lets the signal do what it would have done without us. */
  #reraise(signal: NodeJS.Signals): void {
    this.#stop();
    this.#lease.releaseSync();
    process.kill(process.pid, signal);
  }

  #saveNowOrSoon(): void {
    if (canSaveSync(this.#store)) this.#saveSyncLogged();
    else void this.#store.save(this.#summary).catch((err: unknown) => this.#logSaveFailure(err));
  }

  #saveSyncLogged(): void {
    if (!canSaveSync(this.#store)) {
      this.#logger.warn({}, 'the store cannot save synchronously; the final state was not saved');
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
