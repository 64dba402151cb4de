/**
 * `summary-inspect repair <run> <process>`: the one command that writes, and only through
 * store-fs. A missing or corrupt summary is restored from its previous good version (`.bak`);
 * when there is none, it is rebuilt by replaying the journal (core's `SummaryReplay`). Bad
 * files are moved aside as `….corrupt-<time>`, never deleted. Lists the quarantined files of
 * the process.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  type ProcessSummary,
  type StoreWarning,
  SummaryReplay,
  systemClock,
} from '@process-summary/core';
import { currentProcess, judge, ownerPathFor, readOwnerRecord } from '@process-summary/recovery';
import { FileSummaryStore, type Logger } from '@process-summary/store-fs';
import type { Context } from '../../context.js';
import { CliError, EXIT } from '../../errors.js';
import { escapeControl, formatBytes, safeJson } from '../../render/format.js';
import { readSummaryFile } from '../../summary-file.js';
import { resolveTargets } from '../../targets.js';

/** What `repair --json` reports (see README). */
export interface RepairReport {
  path: string;
  /** `none` (the summary is valid), `restored_from_backup`, `rebuilt_from_journal`, or `failed`. */
  action: 'none' | 'restored_from_backup' | 'rebuilt_from_journal' | 'failed';
  message: string;
  warnings: { code: string; message: string }[];
  quarantined: { path: string; size_bytes: number }[];
}

/** Files moved aside for this process: `….json.corrupt-*`, `….json.bak.corrupt-*`, `….archived-*`. */
function quarantinedFiles(summaryPath: string): { path: string; size_bytes: number }[] {
  const dir = dirname(summaryPath);
  const base = summaryPath.slice(dir.length + 1);
  const stem = base.replace(/\.json$/, '');
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => n.startsWith(stem) && (n.includes('.corrupt-') || n.includes('.archived-')))
    .filter((n) => n.startsWith(`${base}.`) || n.startsWith(`${stem}.events.jsonl.`))
    .sort()
    .map((n) => {
      const path = join(dir, n);
      let size = 0;
      try {
        size = statSync(path).size;
      } catch {}
      return { path, size_bytes: size };
    });
}

/** What replaying the journal gave: a summary with notes, or why it could not. */
type Rebuilt =
  | {
      ok: true;
      summary: ProcessSummary;
      events: number;
      notes: { code: string; message: string }[];
    }
  | { ok: false; why: string };

/**
 * Replays the journal of (run, process) into a summary. Corrupt lines are skipped and said so
 * (they were reported, not silently dropped); a torn last line is an append cut short.
 */
async function rebuildFromJournal(
  store: FileSummaryStore,
  runName: string,
  processName: string,
): Promise<Rebuilt> {
  const journal = store.journalPathFor(runName, processName);
  if (!existsSync(journal)) return { ok: false, why: `there is no journal at ${journal}` };
  const replay = new SummaryReplay(runName, processName);
  const corruptLines: number[] = [];
  let tornBytes = 0;
  for await (const entry of store.events(runName, processName)) {
    if (entry.kind === 'event') replay.add(entry.event);
    else if (entry.kind === 'corrupt') corruptLines.push(entry.line);
    else tornBytes = entry.bytes;
  }
  let result: ReturnType<SummaryReplay['finish']>;
  try {
    result = replay.finish();
  } catch (err) {
    if ((err as { code?: unknown }).code !== 'E_NO_EVENTS') throw err;
    return { ok: false, why: `the journal ${journal} holds no usable event` };
  }
  const notes: { code: string; message: string }[] = result.notes.map((n) => ({
    code: n.code,
    message: n.message,
  }));
  if (corruptLines.length > 0) {
    notes.push({
      code: 'W_CORRUPT_LINES',
      message: `${corruptLines.length} corrupt journal lines were skipped (lines ${corruptLines.slice(0, 10).join(', ')}${corruptLines.length > 10 ? ', …' : ''})`,
    });
  }
  if (tornBytes > 0) {
    notes.push({
      code: 'W_TORN_TAIL',
      message: `a torn last journal line of ${tornBytes} bytes (an append cut short) was not used`,
    });
  }
  return { ok: true, summary: result.summary, events: result.eventCount, notes };
}

/**
 * Repairs one summary. Exit 0 when it is (now) valid, 1 when nothing usable was left, 3 when
 * there was nothing at all.
 */
export async function runRepair(context: Context): Promise<number> {
  const [target] = resolveTargets(context.root, context.args, {
    requireProcess: true,
    single: true,
    allowMissing: true,
  });
  if (target?.runName === undefined || target.processName === undefined) {
    throw new CliError('E_USAGE', 'repair expects a run and a process');
  }
  const { runName, processName } = target;
  const owner = await readOwnerRecord(ownerPathFor(target.path)).catch(() => undefined);
  if (owner?.record) {
    const verdict = judge(
      owner.record,
      owner.heartbeat,
      { clock: systemClock, staleAfterSeconds: context.staleAfterSeconds },
      currentProcess(),
    );
    if (verdict.alive) {
      throw new CliError(
        'E_USAGE',
        `${runName}/${processName} is owned by the live process ${owner.record.pid} on ${owner.record.host}; stop it before repairing`,
      );
    }
  }
  const report: RepairReport = {
    path: target.path,
    action: 'none',
    message: '',
    warnings: [],
    quarantined: [],
  };
  const before = readSummaryFile(target.path, { maxFileBytes: context.maxFileBytes });
  let code: number = EXIT.ok;
  if (before.ok) {
    report.message = `${target.path} is valid; nothing to repair`;
  } else if (before.code === 'E_UNSUPPORTED_VERSION') {
    report.action = 'failed';
    report.message = `${before.message}; written by a newer version, left alone`;
    code = EXIT.invalid;
  } else {
    // The store logs what it does; the CLI shows it from the returned warnings instead.
    const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };
    const store = new FileSummaryStore({
      root: context.root,
      logger: quiet,
      maxFileBytes: context.maxFileBytes,
    });
    let loaded: Awaited<ReturnType<FileSummaryStore['load']>> = null;
    let noGoodVersion: Error | null = null;
    try {
      loaded = await store.load(runName, processName);
    } catch (err) {
      const errCode = (err as { code?: unknown }).code;
      if (errCode !== 'E_CORRUPT' && errCode !== 'E_NAME_MISMATCH') throw err;
      // A valid file of another run or process is left alone, not rebuilt over.
      if (errCode === 'E_NAME_MISMATCH') {
        report.action = 'failed';
        report.message = (err as Error).message;
        code = EXIT.invalid;
      } else noGoodVersion = err as Error;
    }
    if (loaded !== null) {
      report.warnings = loaded.warnings.map((w: StoreWarning) => ({
        code: w.code,
        message: w.message,
      }));
      report.action = loaded.warnings.some((w) => w.code === 'W_RESTORED_FROM_BACKUP')
        ? 'restored_from_backup'
        : 'none';
      report.message =
        report.action === 'restored_from_backup'
          ? `${target.path} restored from ${store.backupPathFor(runName, processName)}`
          : `${target.path} is valid; nothing to repair`;
    } else if (report.action !== 'failed') {
      // No good version left (moved aside) or none at all: the journal is the last resort.
      const journal = store.journalPathFor(runName, processName);
      const rebuilt = await rebuildFromJournal(store, runName, processName);
      if (rebuilt.ok) {
        await store.save(rebuilt.summary);
        report.action = 'rebuilt_from_journal';
        report.warnings = [
          ...(noGoodVersion === null
            ? []
            : [{ code: 'W_QUARANTINED', message: (noGoodVersion as Error).message }]),
          ...rebuilt.notes,
        ];
        report.message = `${target.path} rebuilt from the journal ${journal} (${rebuilt.events} events): a reconstruction, not the last saved state; see the warnings`;
        context.warn(
          `warning: ${escapeControl(target.path)} was rebuilt from its journal; custom metrics and items_total are lost, counters are those of the last journaled event`,
        );
      } else if (noGoodVersion !== null) {
        report.action = 'failed';
        report.message = `${noGoodVersion.message} The journal cannot rebuild it: ${rebuilt.why}.`;
        code = EXIT.invalid;
      } else {
        throw new CliError(
          'E_NOT_FOUND',
          `${target.path} does not exist, there is no backup to restore, and ${rebuilt.why}`,
        );
      }
    }
  }
  report.quarantined = quarantinedFiles(target.path);
  if (context.json) {
    context.write(`${safeJson(report)}\n`);
    return code;
  }
  for (const warning of report.warnings) context.write(`${escapeControl(warning.message)}\n`);
  context.write(`${escapeControl(report.message)}\n`);
  if (report.quarantined.length > 0) {
    context.write('quarantined (kept, never deleted):\n');
    for (const q of report.quarantined)
      context.write(`  ${escapeControl(q.path)}  ${formatBytes(q.size_bytes)}\n`);
  }
  return code;
}
