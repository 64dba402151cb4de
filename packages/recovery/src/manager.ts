import { assertValidName, type ProcessSummary } from '@process-summary/core';
import { defaultLogger, FileSummaryStore } from '@process-summary/store-fs';
import {
  type CreateProcessSummaryOptions,
  createProcessSummary,
  releaseProcessSummary,
  saveProcessSummary,
} from './create.js';

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
   * The seed's cleanup: removes the summary file (after completion) and gives up ownership.
   * Resolves whether there was a summary to remove.
   */
  async cleanupSummary(): Promise<boolean> {
    if (this.#summary !== undefined) await releaseProcessSummary(this.#summary);
    const store =
      this.#options.store ??
      new FileSummaryStore({
        root: this.#options.root ?? 'runs',
        logger: this.#options.logger ?? defaultLogger,
      });
    return store.remove(this.runName, this.processName);
  }
}
