/**
 * The on-disk layout of the file store, in one module: every path, suffix and name pattern the
 * store (and its owner records) writes or recognizes. Nothing else in the repository builds
 * one of these names; a reader parses directory entries back into refs with
 * {@link parseEntryName}.
 *
 * ```
 * {root}/{run}/process_summary_{process}[@{worker}].json          the summary
 *                                              ….json.bak          its previous good version
 *                                              ….json.e{epoch}     a write fenced by a lease epoch
 *                                              ….events.jsonl      the journal
 *                                              ….owner             the owner record
 *                                              ….owner.takeover    held during a takeover
 *                                              ….corrupt-{stamp}   a bad file moved aside
 *                                              ….archived-{stamp}  set aside by a fresh start
 * {root}/{run}/.process_summary_….{pid}.{host tag}.{id}.tmp       a write in progress
 * {root}/.process-summary-state~{key, / as ~}.json                 a consumer's state document
 *                                        ….lock                    held while one is written
 * ```
 *
 * The suffixes are told apart from the end of the name, so a process name may itself contain
 * dots; `@` separates process and worker, and core refuses it inside either name.
 *
 * Consumer state (`readState`/`writeState`: the alerter's) lives in regular files directly in
 * the root, never in a directory: a run is a directory of the root and a run name may start
 * with `.`, so any directory there would be taken for a run, while `list` and `watch` look at
 * directories only. Their names start with the reserved {@link STATE_PREFIX} (their temp files
 * with one more `.`), and this store refuses a run of such a name (`E_INVALID_NAME`) and never
 * lists one, so a document and a run can never share a name.
 */
import { basename, dirname, join } from 'node:path';
import {
  assertValidName,
  codedRangeError,
  isValidName,
  type SummaryRef,
} from '@process-summary/core';
import { sha256Hex } from './crypto.js';
import { escapeControl } from './logger.js';

/** Every file of one summary starts with this. */
export const SUMMARY_PREFIX = 'process_summary_';
const SUMMARY_SUFFIX = '.json';
const BACKUP_SUFFIX = '.json.bak';
const JOURNAL_SUFFIX = '.events.jsonl';
const OWNER_SUFFIX = '.owner';
const TAKEOVER_SUFFIX = '.owner.takeover';
const QUARANTINE_MARK = '.corrupt-';
const ARCHIVE_MARK = '.archived-';
const STALE_MARK = '.stale-';
const WORKER_SEPARATOR = '@';

/**
 * The start of every root entry of consumer state (document, lock, their temp and stale
 * copies, which add a leading `.` or a tail). Reserved: no run of this store is named so.
 */
export const STATE_PREFIX = '.process-summary-state~';
const STATE_SUFFIX = '.json';
const STATE_LOCK_SUFFIX = '.lock';
/** Segments of a key are joined with this in a file name: not a character of any key. */
const STATE_SEPARATOR = '~';
/** Past this, the flattened key is shortened and a hash of the whole key appended. */
const STATE_NAME_MAX = 160;
const RESERVED_ROOT_NAME = /^\.?\.process-summary-state~/;

/** A ref with its worker normalized: `null` for a process run as one. */
export interface NormalizedRef {
  runName: string;
  processName: string;
  worker: string | null;
}

/** The files of one summary. */
export interface SummaryPaths {
  ref: NormalizedRef;
  /** The run directory. */
  dir: string;
  /** `process_summary_{process}[@{worker}]`: the base every file name of the summary starts with. */
  stem: string;
  summary: string;
  backup: string;
  journal: string;
  owner: string;
}

/** The run directory: `{root}/{run}`. Throws `E_INVALID_NAME` for a bad run name. */
export function runDirFor(root: string, runName: string): string {
  assertValidName('run', runName);
  refuseReservedRunName(runName);
  return join(root, runName);
}

/** Whether a root entry of this name can be a run: a valid run name, not a reserved one. */
export function isRunEntryName(name: string): boolean {
  return isValidName('run', name) && !RESERVED_ROOT_NAME.test(name);
}

function refuseReservedRunName(runName: string): void {
  if (RESERVED_ROOT_NAME.test(runName)) {
    throw codedRangeError(
      'E_INVALID_NAME',
      `invalid run name ${escapeControl(JSON.stringify(runName.slice(0, 64)))}: names starting with "${STATE_PREFIX}" are reserved by the file store for consumer state`,
    );
  }
}

/** The files of one consumer-state document. */
export interface StatePaths {
  /** The document: `{root}/.process-summary-state~{key}.json`. */
  document: string;
  /** Held (created exclusively) by the one process writing it. */
  lock: string;
}

/**
 * The files of the state document `key` (validated by the caller: segments of `[a-z0-9._-]`
 * joined by `/`). `/` becomes `~`, which no key holds, so two keys never share a file; a key
 * too long for one file name keeps its start and gets a hash of the whole key (`~~`, which
 * no flattened key holds, before it).
 */
export function statePathsFor(root: string, key: string): StatePaths {
  let flat = key.replaceAll('/', STATE_SEPARATOR);
  if (flat.length > STATE_NAME_MAX) {
    const hash = sha256Hex(key).slice(0, 32);
    flat = `${flat.slice(0, STATE_NAME_MAX - 34)}${STATE_SEPARATOR}${STATE_SEPARATOR}${hash}`;
  }
  const base = join(root, `${STATE_PREFIX}${flat}`);
  return { document: `${base}${STATE_SUFFIX}`, lock: `${base}${STATE_LOCK_SUFFIX}` };
}

const STATE_TEMP =
  /^\.\.process-summary-state~.+\.(?:json|lock)\.(\d+)\.([0-9a-f]{8})\.[0-9a-f]+\.tmp$/;

const STATE_STALE_LOCK = /^\.process-summary-state~.+\.lock\.stale-[0-9a-f]+$/;

/** Whether `entryName` is a state lock moved aside ({@link stalePathFor}) by a release or a break. */
export function isStaleStateLockName(entryName: string): boolean {
  return STATE_STALE_LOCK.test(entryName);
}

/**
 * The pid and host tag in the name of a temp file of a state document or lock (made by
 * {@link tempPathFor} in the root); `undefined` for any other name.
 */
export function stateTempFileOwner(entryName: string): TempFileOwner | undefined {
  const match = STATE_TEMP.exec(entryName);
  if (match === null) return undefined;
  return { pid: Number(match[1]), hostTag: match[2] as string };
}

/**
 * The files of `ref` under `root`. Validates the names first (`E_INVALID_NAME`): nothing
 * outside the root can be named.
 */
export function summaryPathsFor(root: string, ref: SummaryRef): SummaryPaths {
  const normalized = normalizeRef(ref);
  const dir = join(root, normalized.runName);
  const stem = join(dir, stemName(normalized.processName, normalized.worker));
  const summary = `${stem}${SUMMARY_SUFFIX}`;
  return {
    ref: normalized,
    dir,
    stem,
    summary,
    backup: `${stem}${BACKUP_SUFFIX}`,
    journal: `${stem}${JOURNAL_SUFFIX}`,
    owner: `${stem}${OWNER_SUFFIX}`,
  };
}

/** What a reader needs of a summary's paths. */
export type ReadPaths = Pick<SummaryPaths, 'ref' | 'dir' | 'summary'>;

/**
 * The {@link ReadPaths} of many refs, every name validated before any is returned
 * (`E_INVALID_NAME`): a listing's thousands of reads, each run directory's path made once.
 */
export function readPathsFor(root: string, refs: readonly SummaryRef[]): ReadPaths[] {
  // A listing's refs share a few run names: each is checked and joined once per call, and the
  // loop is indexed (most of a listing runs before V8 has optimized anything).
  const dirs = new Map<unknown, string>();
  const found = new Array<ReadPaths>(refs.length);
  for (let i = 0; i < refs.length; i++) {
    const ref = refs[i] as SummaryRef;
    if (typeof ref !== 'object' || ref === null) assertValidName('run', undefined);
    let dir = dirs.get(ref.runName);
    if (dir === undefined) {
      checkRunName(ref.runName);
      dir = join(root, ref.runName);
      dirs.set(ref.runName, dir);
    }
    const normalized = withCheckedProcess(ref);
    found[i] = {
      ref: normalized,
      dir,
      summary: summaryPathIn(dir, normalized.processName, normalized.worker),
    };
  }
  return found;
}

/** Validates the names of `ref` and drops an `undefined` worker (`E_INVALID_NAME`). */
export function normalizeRef(ref: SummaryRef): NormalizedRef {
  if (typeof ref !== 'object' || ref === null) {
    assertValidName('run', undefined);
  }
  checkRunName(ref.runName);
  return withCheckedProcess(ref);
}

function checkRunName(runName: string): void {
  // The remembered verdict first (cheap); core's check throws the coded error.
  if (!isValidName('run', runName)) assertValidName('run', runName);
  refuseReservedRunName(runName);
}

/** `ref` normalized, its process and worker names checked (the run name is the caller's). */
function withCheckedProcess(ref: SummaryRef): NormalizedRef {
  if (!isValidName('process', ref.processName)) assertValidName('process', ref.processName);
  const worker = ref.worker ?? null;
  if (worker !== null && !isValidName('worker', worker)) assertValidName('worker', worker);
  return { runName: ref.runName, processName: ref.processName, worker };
}

/**
 * The summary path of (process, worker) in the run directory `dir`, for names that were
 * validated already (parsed from an entry): no validation, no normalization.
 */
export function summaryPathIn(dir: string, processName: string, worker: string | null): string {
  return `${dir}/${stemName(processName, worker)}${SUMMARY_SUFFIX}`;
}

function stemName(processName: string, worker: string | null): string {
  return worker === null
    ? `${SUMMARY_PREFIX}${processName}`
    : `${SUMMARY_PREFIX}${processName}${WORKER_SEPARATOR}${worker}`;
}

/**
 * The copy of a summary written under lease epoch `epoch`: `….json.e{epoch}`. Where a rename
 * cannot be refused (a directory shared between hosts), each owner's writes carry their epoch
 * and readers take the highest.
 */
export function epochPathFor(paths: SummaryPaths, epoch: number): string {
  if (!Number.isSafeInteger(epoch) || epoch < 0) {
    throw new RangeError(`epoch must be a non-negative integer, got ${String(epoch)}`);
  }
  return `${paths.summary}.e${epoch}`;
}

/** The takeover lock beside an owner record: `….owner.takeover`. */
export function takeoverPathFor(paths: SummaryPaths): string {
  return `${paths.stem}${TAKEOVER_SUFFIX}`;
}

/** Where an owner record (or takeover lock) judged gone is moved by the taker `token`. */
export function stalePathFor(path: string, token: string): string {
  return `${path}${STALE_MARK}${token}`;
}

/** The temp file an owner record is written to before it is linked in place. */
export function ownerTempPathFor(path: string, token: string): string {
  return `${path}.${token}.tmp`;
}

/** `2025-01-15T10:30:45.123Z` → `2025-01-15T10-30-45.123Z`: no `:` (refused on some file systems). */
export function quarantineStamp(date = new Date()): string {
  return date.toISOString().replaceAll(':', '-');
}

/** Where a bad file is moved aside: `<path>.corrupt-<stamp>`, `-<n>` when that name is taken. */
export function quarantinePathFor(path: string, stamp: string, attempt = 0): string {
  const base = `${path}${QUARANTINE_MARK}${stamp}`;
  return attempt === 0 ? base : `${base}-${attempt}`;
}

/** Where a fresh start sets a file aside: `<path>.archived-<stamp>`. */
export function archivePathFor(path: string, stamp: string): string {
  return `${path}${ARCHIVE_MARK}${stamp}`;
}

/** What a temp file's name says about who wrote it. */
export interface TempFileOwner {
  pid: number;
  hostTag: string;
}

/**
 * The name of a temp file for `path`: hidden (a listing never takes it for a summary), in the
 * same directory (a rename never crosses file systems), carrying the writer's pid and host tag
 * so a later writer can tell a dead writer's leftover from a live writer's file:
 * `.<basename>[.bak].<pid>.<host tag>.<unique>.tmp` (`.bak` for the backup's link).
 */
export function tempPathFor(
  path: string,
  owner: TempFileOwner,
  unique: string,
  kind: TempKind = 'replace',
): string {
  const mark = kind === 'backup' ? BACKUP_TEMP_MARK : '';
  return join(
    dirname(path),
    `.${basename(path)}${mark}.${owner.pid}.${owner.hostTag}.${unique}.tmp`,
  );
}

/** What a temp file is for: the new version of `path`, or the link that becomes its backup. */
export type TempKind = 'replace' | 'backup';
const BACKUP_TEMP_MARK = '.bak';

const SUMMARY_TEMP =
  /^\.process_summary_.+\.json(?:\.bak|\.e\d+)?\.(\d+)\.([0-9a-f]{8})\.[0-9a-f]+\.tmp$/;

/**
 * The pid and host tag in the name of a temp file made by {@link tempPathFor} for a summary or
 * its backup; `undefined` for any other name.
 */
export function summaryTempFileOwner(entryName: string): TempFileOwner | undefined {
  const match = SUMMARY_TEMP.exec(entryName);
  if (match === null) return undefined;
  return { pid: Number(match[1]), hostTag: match[2] as string };
}

/** What a directory entry of a run directory is. */
export type EntryKind =
  | 'summary'
  | 'backup'
  | 'epoch'
  | 'journal'
  | 'owner'
  | 'takeover'
  | 'quarantined'
  | 'archived';

/** A directory entry of a run directory, parsed back into its summary's names. */
export interface ParsedEntry {
  kind: EntryKind;
  processName: string;
  worker: string | null;
  /** For `epoch`: the lease epoch in the name. */
  epoch: number | null;
}

const EPOCH_TAIL = /\.json\.e(0|[1-9][0-9]{0,15})$/;

/** The suffixes of a summary's own files, the summary first (the most common entry). */
const OWN_SUFFIXES: readonly (readonly [string, EntryKind])[] = [
  [SUMMARY_SUFFIX, 'summary'],
  [BACKUP_SUFFIX, 'backup'],
  [JOURNAL_SUFFIX, 'journal'],
  [OWNER_SUFFIX, 'owner'],
  [TAKEOVER_SUFFIX, 'takeover'],
];

/**
 * Parses the name of an entry of a run directory back into (process, worker) and what the file
 * is; `null` for anything the store does not own under that name (temp files, an owner's
 * leftovers, other files, names that are not valid process or worker names). A quarantined
 * or archived copy is recognized whatever it was a copy of (summary, backup, journal, epoch
 * copy).
 *
 * A file's own suffix is looked for first, then a set-aside mark: a set-aside copy's name ends
 * with its stamp, never with a suffix of the store's, so a process whose name holds a mark
 * (`x.json.corrupt-1`) keeps its files; and the summary, by far the most common entry, is
 * parsed with one comparison.
 */
export function parseEntryName(name: string): ParsedEntry | null {
  if (!name.startsWith(SUMMARY_PREFIX)) return null;
  const rest = name.slice(SUMMARY_PREFIX.length);
  const own = ownKindOf(rest);
  if (own !== null) {
    const names = splitBase(own.base);
    if (names !== null) {
      return {
        kind: own.kind,
        processName: names.processName,
        worker: names.worker,
        epoch: own.epoch,
      };
    }
  }
  const setAside = setAsideBase(rest);
  if (setAside === null) return null;
  const names = splitBase(setAside.base);
  return names === null
    ? null
    : { kind: setAside.kind, processName: names.processName, worker: names.worker, epoch: null };
}

/** The kind a name's own suffix says (a summary, backup, journal, owner, takeover or epoch copy). */
function ownKindOf(rest: string): { kind: EntryKind; base: string; epoch: number | null } | null {
  for (let i = 0; i < OWN_SUFFIXES.length; i++) {
    const [suffix, kind] = OWN_SUFFIXES[i] as readonly [string, EntryKind];
    if (rest.endsWith(suffix)) return { kind, base: rest.slice(0, -suffix.length), epoch: null };
  }
  const tail = EPOCH_TAIL.exec(rest);
  if (tail === null) return null;
  return { kind: 'epoch', base: rest.slice(0, tail.index), epoch: Number(tail[1]) };
}

/**
 * `….corrupt-<stamp>` or `….archived-<stamp>` of any file of a summary (a quarantined copy
 * archived later included): its base name. The last mark in the name says what it is now; what
 * is before it is a copied file's name (a summary, backup, journal or epoch copy) or, when that
 * is not one, another set-aside copy's.
 */
function setAsideBase(rest: string): { kind: 'quarantined' | 'archived'; base: string } | null {
  const quarantinedAt = rest.lastIndexOf(QUARANTINE_MARK);
  const archivedAt = rest.lastIndexOf(ARCHIVE_MARK);
  if (quarantinedAt === -1 && archivedAt === -1) return null;
  const kind = archivedAt > quarantinedAt ? 'archived' : 'quarantined';
  const original = rest.slice(0, Math.max(quarantinedAt, archivedAt));
  const own = ownKindOf(original);
  if (own !== null && SET_ASIDE_KINDS.has(own.kind) && splitBase(own.base) !== null) {
    return { kind, base: own.base };
  }
  const inner = setAsideBase(original);
  return inner === null ? null : { kind, base: inner.base };
}

/** The files a summary's set-aside copies are made of. */
const SET_ASIDE_KINDS: ReadonlySet<EntryKind> = new Set(['summary', 'backup', 'journal', 'epoch']);

/** `collect` → (collect, null); `collect@w1` → (collect, w1); `null` for invalid names. */
function splitBase(base: string): { processName: string; worker: string | null } | null {
  const at = base.indexOf(WORKER_SEPARATOR);
  const processName = at === -1 ? base : base.slice(0, at);
  const worker = at === -1 ? null : base.slice(at + 1);
  if (!isValidName('process', processName)) return null;
  if (worker !== null && !isValidName('worker', worker)) return null;
  return { processName, worker };
}
