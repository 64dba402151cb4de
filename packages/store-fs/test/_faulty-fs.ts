/**
 * A file-system seam for tests: records every call and fails the ones a test asks for, the
 * way a full disk, a failing device or a read-only mount would.
 */
import {
  type DirEntryLike,
  type FileHandleLike,
  type FileSystem,
  nodeFileSystem,
  type StatsLike,
} from '../src/index.js';

export type Op =
  | 'open'
  | 'write'
  | 'read'
  | 'readFile'
  | 'sync'
  | 'datasync'
  | 'fstat'
  | 'truncate'
  | 'close'
  | 'rename'
  | 'link'
  | 'copyFile'
  | 'unlink'
  | 'mkdir'
  | 'readdir'
  | 'stat';

export interface Call {
  op: Op;
  path: string;
  /** open: the flags; rename/link: the destination; write: the bytes written. */
  detail?: string | undefined;
  data?: Buffer | undefined;
}

export interface Fault {
  op: Op;
  /** Which paths: a predicate on the path (the handle's path for handle operations). */
  match?: (path: string) => boolean;
  /** The errno code to throw, e.g. `ENOSPC`. */
  errno?: string;
  /** For `write`: write half the bytes and report that, without an error. */
  shortWrite?: boolean;
  /** How many calls fail; default every one until cleared. */
  times?: number;
}

export function errnoError(code: string, op: string, path: string): Error & { code: string } {
  return Object.assign(new Error(`${code}: injected fault, ${op} '${path}'`), {
    code,
    syscall: op,
    path,
  });
}

export const isTemp = (path: string): boolean => path.endsWith('.tmp');
export const isJournal = (path: string): boolean => path.endsWith('.events.jsonl');

export class FaultyFs implements FileSystem {
  readonly calls: Call[] = [];
  #faults: Fault[] = [];
  readonly #base: FileSystem;
  /** Called (and awaited) before every operation: a test can hold one back. */
  gate: ((call: Call) => Promise<void> | void) | undefined;

  constructor(base: FileSystem = nodeFileSystem) {
    this.#base = base;
  }

  inject(fault: Fault): void {
    this.#faults.push({ ...fault });
  }

  clear(): void {
    this.#faults = [];
  }

  callsOf(op: Op, match: (path: string) => boolean = () => true): Call[] {
    return this.calls.filter((c) => c.op === op && match(c.path));
  }

  /** Records the call and throws the injected fault, if any; returns the matching fault. */
  async #enter(call: Call): Promise<Fault | undefined> {
    this.calls.push(call);
    if (this.gate !== undefined) await this.gate(call);
    const fault = this.#faults.find(
      (f) => f.op === call.op && (f.match === undefined || f.match(call.path)),
    );
    if (fault === undefined) return undefined;
    if (fault.times !== undefined) {
      fault.times -= 1;
      if (fault.times <= 0) this.#faults = this.#faults.filter((f) => f !== fault);
    }
    if (fault.errno !== undefined) throw errnoError(fault.errno, call.op, call.path);
    return fault;
  }

  async open(path: string, flags: string | number, mode?: number): Promise<FileHandleLike> {
    await this.#enter({ op: 'open', path, detail: String(flags) });
    return this.#wrap(path, await this.#base.open(path, flags, mode));
  }

  #wrap(path: string, handle: FileHandleLike): FileHandleLike {
    return {
      // The journal truncates through the descriptor, synchronously (not recorded, no faults).
      fd: handle.fd,
      write: async (buffer, offset, length, position) => {
        const written = Buffer.from(buffer.subarray(offset, offset + length));
        const fault = await this.#enter({ op: 'write', path, data: written });
        const half = fault?.shortWrite ? Math.floor(length / 2) : length;
        return handle.write(buffer, offset, half, position);
      },
      read: async (buffer, offset, length, position) => {
        await this.#enter({ op: 'read', path, detail: String(length) });
        return handle.read(buffer, offset, length, position);
      },
      readFile: async () => {
        await this.#enter({ op: 'readFile', path });
        return handle.readFile();
      },
      sync: async () => {
        await this.#enter({ op: 'sync', path });
        return handle.sync();
      },
      datasync: async () => {
        await this.#enter({ op: 'datasync', path });
        return handle.datasync();
      },
      stat: async () => {
        await this.#enter({ op: 'fstat', path });
        return handle.stat();
      },
      truncate: async (length) => {
        await this.#enter({ op: 'truncate', path, detail: String(length) });
        return handle.truncate(length);
      },
      close: async () => {
        await this.#enter({ op: 'close', path });
        return handle.close();
      },
    };
  }

  async rename(from: string, to: string): Promise<void> {
    await this.#enter({ op: 'rename', path: from, detail: to });
    return this.#base.rename(from, to);
  }

  async link(existing: string, newPath: string): Promise<void> {
    await this.#enter({ op: 'link', path: existing, detail: newPath });
    return this.#base.link(existing, newPath);
  }

  async copyFile(from: string, to: string): Promise<void> {
    await this.#enter({ op: 'copyFile', path: from, detail: to });
    return this.#base.copyFile(from, to);
  }

  async unlink(path: string): Promise<void> {
    await this.#enter({ op: 'unlink', path });
    return this.#base.unlink(path);
  }

  async mkdir(path: string): Promise<string | undefined> {
    await this.#enter({ op: 'mkdir', path });
    return this.#base.mkdir(path);
  }

  async readdir(path: string): Promise<DirEntryLike[]> {
    await this.#enter({ op: 'readdir', path });
    return this.#base.readdir(path);
  }

  async stat(path: string): Promise<StatsLike> {
    await this.#enter({ op: 'stat', path });
    return this.#base.stat(path);
  }
}
