import { assertValidName } from './names.js';
import type { LoadResult, SummaryRef, SummaryStore } from './store.js';
import { type FromDictOptions, ProcessSummary } from './summary.js';
import type { SummaryEvent } from './types.js';

/**
 * A {@link SummaryStore} in memory, for tests and for pipelines that persist elsewhere. It
 * stores serialized JSON, so a loaded summary shares nothing with the saved object, exactly
 * as with a file.
 */
// TODO(contract): implements SummaryStore once the owner and reader sides are in.
export class MemorySummaryStore {
  readonly #files = new Map<string, string>();
  readonly #journals = new Map<string, SummaryEvent[]>();
  readonly #archived: [string, string][] = [];

  async load(
    runName: string,
    processName: string,
    options?: FromDictOptions,
  ): Promise<LoadResult | null> {
    const text = this.#files.get(keyOf(runName, processName));
    if (text === undefined) return null;
    return { summary: ProcessSummary.fromDict(JSON.parse(text), options), warnings: [] };
  }

  async save(summary: ProcessSummary): Promise<void> {
    const key = keyOf(summary.runName, summary.processName);
    const text = JSON.stringify(summary.getSummaryDict());
    const events = summary.takeEvents();
    const journal = this.#journals.get(key) ?? [];
    this.#journals.set(key, journal);
    for (const event of events) journal.push(structuredClone(event));
    this.#files.set(key, text);
  }

  async remove(runName: string, processName: string): Promise<boolean> {
    const key = keyOf(runName, processName);
    this.#journals.delete(key);
    return this.#files.delete(key);
  }

  async list(): Promise<SummaryRef[]> {
    return [...this.#files.keys()]
      .map((key) => {
        const [runName, processName] = JSON.parse(key) as [string, string];
        return { runName, processName };
      })
      .sort((a, b) => compare(a.runName, b.runName) || compare(a.processName, b.processName));
  }

  async archive(runName: string, processName: string): Promise<string | null> {
    const key = keyOf(runName, processName);
    const text = this.#files.get(key);
    if (text === undefined) return null;
    const archivedAs = `${key}#archived-${this.#archived.length + 1}`;
    this.#archived.push([archivedAs, text]);
    this.#files.delete(key);
    this.#journals.delete(key);
    return archivedAs;
  }

  /** Summaries set aside by {@link archive}, oldest first, as the JSON text saved. */
  archived(): [key: string, text: string][] {
    return this.#archived.map(([key, text]) => [key, text]);
  }

  /** The journal events saved for (run, process), oldest first (copies). */
  events(runName: string, processName: string): SummaryEvent[] {
    return structuredClone(this.#journals.get(keyOf(runName, processName)) ?? []);
  }
}

function keyOf(runName: string, processName: string): string {
  assertValidName('run', runName);
  assertValidName('process', processName);
  return JSON.stringify([runName, processName]);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
