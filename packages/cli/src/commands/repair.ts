/**
 * `summary-inspect repair <run> <process>`: the one command that writes, and only through
 * store-fs. A missing or corrupt summary is restored from its previous good version (`.bak`);
 * the bad file is moved aside as `….corrupt-<time>`, never deleted. Lists the quarantined
 * files of the process. Rebuilding counters from the journal is not done (see README).
 */
import { readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { StoreWarning } from '@process-summary/core';
import { systemClock } from '@process-summary/core';
import { currentProcess, judge, ownerPathFor, readOwnerRecord } from '@process-summary/recovery';
import { FileSummaryStore, type Logger } from '@process-summary/store-fs';
import type { Context } from '../context.js';
import { CliError, EXIT } from '../errors.js';
import { escapeControl, formatBytes, safeJson } from '../render/format.js';
import { readSummaryFile } from '../summary-file.js';
import { resolveTargets } from '../targets.js';

/** What `repair --json` reports (see README). */
export interface RepairReport {
  path: string;
  /** `none` (the summary is valid), `restored_from_backup`, or `failed`. */
  action: 'none' | 'restored_from_backup' | 'failed';
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

/** Repairs one summary. Exit 0 when it is (now) valid, 1 when it could not be restored. */
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
    try {
      const loaded = await store.load(runName, processName);
      if (loaded === null) {
        throw new CliError(
          'E_NOT_FOUND',
          `${target.path} does not exist and there is no backup to restore`,
        );
      }
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
    } catch (err) {
      const errCode = (err as { code?: unknown }).code;
      if (errCode !== 'E_CORRUPT' && errCode !== 'E_NAME_MISMATCH') throw err;
      report.action = 'failed';
      report.message = (err as Error).message;
      code = EXIT.invalid;
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
