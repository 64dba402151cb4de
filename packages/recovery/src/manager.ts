import { assertValidName, type ProcessSummary } from '@process-summary/core';
import { defaultLogger } from '@process-summary/store-fs';
import {
  type CreateProcessSummaryOptions,
  createProcessSummary,
  releaseProcessSummary,
  removeProcessSummary,
  saveProcessSummary,
} from './create.js';
import { resolveStore } from './store-choice.js';

/**
 * The seed's `ProcessSummaryManager`: persistence and recovery of one (run, process), for
 * code written against the Python API. New code can call the functions directly.
 */
export class ProcessSummaryManager {
  readonly runName: string;
  readonly processName: string;
  readonly #options: CreateProcessSummaryOptions;
  #summary: ProcessSummary | undefined;

  constructor(runName: string, processName: string, options: CreateProcessSummaryOptions = {}) {
    assertValidName('run', runName);
    assertValidName('process', processName);
    if (options.worker !== undefined) assertValidName('worker', options.worker);
    this.runName = runName;
    this.processName = processName;
    this.#options = options;
  }

  /** Loads the summary (resuming it, with interruption detection) or creates a new one. */
  async loadOrCreateSummary(): Promise<ProcessSummary> {
    this.#summary = await createProcessSummary(this.runName, this.processName, this.#options);
    return this.#summary;
  }

  /** Saves; never throws: `false` after logging a failure. */
  saveSummary(summary: ProcessSummary): Promise<boolean> {
    return saveProcessSummary(summary);
  }

  /**
   * Stops this process's bookkeeping of the summary (heartbeat, handlers), gives up ownership
   * and closes a store opened from a `postgres://` URL; the summary stays stored. Saving an
   * ended summary does this already.
   */
  async close(): Promise<void> {
    if (this.#summary !== undefined) await releaseProcessSummary(this.#summary);
  }

  /**
   * The seed's cleanup: removes the summary and its history (after completion) and gives up
   * ownership. Resolves whether there was a summary to remove. A manager that does not own the
   * summary removes it unowned, which the store refuses with `E_CONCURRENT_RUN` while a live
   * owner holds it.
   */
  async cleanupSummary(): Promise<boolean> {
    const owned =
      this.#summary === undefined ? undefined : await removeProcessSummary(this.#summary);
    if (owned !== undefined) return owned;
    const { store, close } = await resolveStore(
      this.#options.store,
      this.#options.root ?? 'runs',
      this.#options.logger ?? defaultLogger,
    );
    try {
      return await store.remove({
        runName: this.runName,
        processName: this.processName,
        worker: this.#options.worker ?? null,
      });
    } finally {
      await close();
    }
  }
}
