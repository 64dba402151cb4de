/**
 * `watch`: the refs whose files change, as they change. `fs.watch` (inotify on Linux) on the
 * root and on each run directory, and a poll every `intervalMs` that attaches watchers to new
 * run directories, drops those of vanished ones, and — for a directory `fs.watch` cannot
 * watch (no inotify watches left, a file system without events) — compares its entries' stat
 * signatures instead. Never throws for what it finds (a vanished or unreadable directory is
 * skipped); ends when `signal` aborts.
 */
import * as nodeFs from 'node:fs';
import { join } from 'node:path';
import type { SummaryRef, WatchOptions } from '@process-summary/core';
import { storeError } from './errors.js';
import { isRunEntryName, parseEntryName } from './layout.js';
import { publicRef, type ReaderContext } from './reader.js';

const DEFAULT_INTERVAL_MS = 1000;

/**
 * See `SummaryStore.watch`. Throws `E_INVALID_ARGUMENT` for a bad interval. `fsEvents` false
 * polls every directory, as where `fs.watch` is unavailable (tests prove that path with it).
 */
export function watchSummaries(
  ctx: ReaderContext,
  options: WatchOptions = {},
  fsEvents = true,
): AsyncIterable<SummaryRef> {
  const intervalMs = options.intervalMs ?? DEFAULT_INTERVAL_MS;
  if (typeof intervalMs !== 'number' || !Number.isFinite(intervalMs) || intervalMs <= 0) {
    throw storeError(
      'E_INVALID_ARGUMENT',
      `watch: intervalMs must be a positive number, got ${String(intervalMs)}`,
    );
  }
  return watchLoop(ctx.root, intervalMs, options.signal, fsEvents);
}

async function* watchLoop(
  root: string,
  intervalMs: number,
  signal: AbortSignal | undefined,
  fsEvents: boolean,
): AsyncGenerator<SummaryRef, void, undefined> {
  if (signal?.aborted) return;
  const watcher = new DirectoryWatcher(root, fsEvents);
  const onAbort = () => watcher.wake();
  signal?.addEventListener('abort', onAbort, { once: true });
  const timer = setInterval(() => watcher.poll(false), intervalMs);
  try {
    watcher.poll(true);
    while (!signal?.aborted) {
      const ref = watcher.next();
      if (ref !== undefined) {
        yield ref;
        continue;
      }
      await watcher.changed();
    }
  } finally {
    clearInterval(timer);
    signal?.removeEventListener('abort', onAbort);
    watcher.close();
  }
}

/** The entry names and stat signatures of a directory watched by polling. */
type Signatures = Map<string, string>;

class DirectoryWatcher {
  readonly #root: string;
  readonly #fsEvents: boolean;
  #rootWatcher: nodeFs.FSWatcher | null = null;
  /** Run directories: watched by fs.watch, or polled (their signatures). */
  readonly #runs = new Map<string, nodeFs.FSWatcher | Signatures>();
  readonly #queue = new Map<string, SummaryRef>();
  #wake: (() => void) | null = null;

  constructor(root: string, fsEvents: boolean) {
    this.#root = root;
    this.#fsEvents = fsEvents;
  }

  next(): SummaryRef | undefined {
    for (const [key, ref] of this.#queue) {
      this.#queue.delete(key);
      return ref;
    }
    return undefined;
  }

  changed(): Promise<void> {
    return new Promise((resolve) => {
      this.#wake = resolve;
    });
  }

  wake(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }

  /**
   * Attaches watchers to run directories not watched yet (reporting their entries, unless
   * `initial`: only changes from now on count), drops vanished ones, compares polled ones.
   */
  poll(initial: boolean): void {
    if (this.#rootWatcher === null) this.#rootWatcher = this.#watch(this.#root, null);
    let names: string[];
    try {
      names = nodeFs
        .readdirSync(this.#root, { withFileTypes: true })
        .filter((e) => (e.isDirectory() || e.isSymbolicLink()) && isRunEntryName(e.name))
        .map((e) => e.name);
    } catch {
      // No root (yet, or any more): a watcher of a removed root would never fire again.
      this.#rootWatcher?.close();
      this.#rootWatcher = null;
      names = [];
    }
    const present = new Set(names);
    for (const [run, watched] of this.#runs) {
      if (present.has(run)) continue;
      if (!(watched instanceof Map)) watched.close();
      this.#runs.delete(run);
    }
    for (const run of names) {
      const watched = this.#runs.get(run);
      if (watched === undefined) this.#addRun(run, !initial);
      else if (watched instanceof Map) this.#compare(run, watched);
    }
    if (this.#queue.size > 0) this.wake();
  }

  close(): void {
    this.#rootWatcher?.close();
    this.#rootWatcher = null;
    for (const watched of this.#runs.values()) {
      if (!(watched instanceof Map)) watched.close();
    }
    this.#runs.clear();
    this.wake();
  }

  #addRun(run: string, report: boolean): void {
    const dir = join(this.#root, run);
    const watcher = this.#watch(dir, run);
    if (watcher !== null) {
      this.#runs.set(run, watcher);
      if (report) for (const [name] of this.#signatures(dir)) this.#push(run, name);
      return;
    }
    // Not watchable (or gone): poll it, unless it is gone.
    if (!isDirectory(dir)) return;
    const signatures = this.#signatures(dir);
    this.#runs.set(run, signatures);
    if (report) for (const [name] of signatures) this.#push(run, name);
  }

  #compare(run: string, before: Signatures): void {
    const dir = join(this.#root, run);
    const now = this.#signatures(dir);
    for (const [name, signature] of now) {
      if (before.get(name) !== signature) this.#push(run, name);
    }
    for (const name of before.keys()) if (!now.has(name)) this.#push(run, name);
    this.#runs.set(run, now);
  }

  #signatures(dir: string): Signatures {
    const signatures: Signatures = new Map();
    let names: string[];
    try {
      names = nodeFs.readdirSync(dir);
    } catch {
      return signatures;
    }
    for (const name of names) {
      if (parseEntryName(name) === null) continue;
      try {
        const s = nodeFs.statSync(join(dir, name));
        signatures.set(name, `${s.ino}:${s.size}:${s.mtimeMs}`);
      } catch {}
    }
    return signatures;
  }

  /** `fs.watch` on `dir`, or null when it cannot be watched; errors close it, never throw. */
  #watch(dir: string, run: string | null): nodeFs.FSWatcher | null {
    if (!this.#fsEvents) return null;
    let watcher: nodeFs.FSWatcher;
    try {
      watcher = nodeFs.watch(dir, { persistent: true }, (event, filename) => {
        if (filename === null || filename === undefined) {
          // Some platforms do not say which entry: poll now.
          this.poll(false);
          return;
        }
        const name = String(filename);
        if (run === null) {
          // A state document's files (see layout.ts) are no run: their writes wake nothing.
          if (!this.#runs.has(name) && isRunEntryName(name)) this.poll(false);
        } else if (event === 'rename' && name === run && parseEntryName(name) === null) {
          // The watched directory itself was removed or moved (the event names it): a run
          // directory created again under that name is another inode, watched afresh.
          watcher.close();
          if (this.#runs.get(run) === watcher) this.#runs.delete(run);
          this.poll(false);
        } else {
          this.#push(run, name);
          this.wake();
        }
      });
    } catch {
      // Gone (ENOENT), or not watchable (ENOSPC: no inotify watches left; EPERM; ENOSYS):
      // the poll finds out which, and polls it if it is there.
      return null;
    }
    watcher.on('error', () => {
      // The directory vanished or the watch broke: the next poll re-attaches or polls it.
      watcher.close();
      if (run === null) this.#rootWatcher = null;
      else if (this.#runs.get(run) === watcher) this.#runs.delete(run);
    });
    return watcher;
  }

  #push(run: string, name: string): void {
    const parsed = parseEntryName(name);
    if (parsed === null || parsed.kind === 'takeover') return;
    const ref = publicRef({ runName: run, processName: parsed.processName, worker: parsed.worker });
    this.#queue.set(`${run}\0${parsed.processName}\0${parsed.worker ?? ''}`, ref);
  }
}

function isDirectory(dir: string): boolean {
  try {
    return nodeFs.statSync(dir).isDirectory();
  } catch {
    return false;
  }
}
