/**
 * `summary-inspect repair <run> <process[@worker]>`: the one command that writes, and only
 * through the store's owner side: take the lease (refused while a live owner holds the run),
 * `load` (which repairs: quarantine, the previous good version, the journal), save what it
 * gave, release. The store reports what it did as warnings; nothing is deleted. All or
 * nothing: when the load or the save fails part-way, every file is put back as it was found.
 */
import {
  ProcessSummaryError,
  refName,
  type StoreWarning,
  type SummaryRef,
} from '@process-summary/core';
import type { Context } from '../../context.js';
import { CliError, EXIT } from '../../errors.js';
import { warnOddFiles } from '../../odd-files.js';
import { escapeControl, formatBytes, safeJson } from '../../render/format.js';
import { resolveTargets } from '../../targets.js';

/** What `repair --json` reports (see README). */
export interface RepairReport {
  /** The summary, as `run/process[@worker]`. */
  summary: string;
  /** Where it is, as the store says (a path for the file store). */
  location: string;
  /** `none` (the summary is valid), `restored_from_backup`, `rebuilt_from_journal`, `repaired` (the store fixed it otherwise), or `failed`. */
  action: 'none' | 'restored_from_backup' | 'rebuilt_from_journal' | 'repaired' | 'failed';
  message: string;
  warnings: { code: string; message: string }[];
  /** Copies the store set aside for this summary (kept, never deleted), as it lists them. */
  quarantined: { path: string; size_bytes: number | null }[];
}

/** What the store's warnings say it did. */
function actionOf(warnings: readonly StoreWarning[]): RepairReport['action'] {
  if (warnings.some((w) => w.code === 'W_REBUILT_FROM_JOURNAL')) return 'rebuilt_from_journal';
  if (warnings.some((w) => w.code === 'W_RESTORED_FROM_BACKUP')) return 'restored_from_backup';
  return warnings.length > 0 ? 'repaired' : 'none';
}

/** Refuses while a live owner holds `ref`, naming it. */
async function refuseLiveOwner(context: Context, ref: SummaryRef): Promise<void> {
  const owner = await context.store.ownerStatus(ref, {
    staleAfterSeconds: context.staleAfterSeconds,
  });
  if (owner.state !== 'alive') return;
  const who =
    owner.owner === null
      ? owner.reason
      : `the live process ${owner.owner.pid} on ${owner.owner.host}`;
  throw new CliError('E_USAGE', `${refName(ref)} is owned by ${who}; stop it before repairing`);
}

/**
 * Repairs one summary. Exit 0 when it is (now) valid, 1 when nothing usable was left, 3 when
 * there was nothing at all, 2 while a live process owns it.
 */
export async function runRepair(context: Context): Promise<number> {
  const [target] = await resolveTargets(context, context.args, {
    requireProcess: true,
    single: true,
    allowMissing: true,
  });
  if (target?.kind !== 'ref') throw new CliError('E_USAGE', 'repair expects a run and a process');
  const ref = target.ref;
  await warnOddFiles(context, ref);
  await refuseLiveOwner(context, ref);
  const before = await context.store.read(ref, { full: true });
  if (before === null) {
    throw new CliError(
      'E_NOT_FOUND',
      `${refName(ref)} has no summary and no history (no backup, no journal) to repair from`,
    );
  }
  const report: RepairReport = {
    summary: refName(ref),
    location: before.location,
    action: 'none',
    message: '',
    warnings: [],
    quarantined: [],
  };
  let code: number = EXIT.ok;
  if (before.problem === null) {
    report.message = `${before.location} is valid; nothing to repair`;
  } else if (before.problem.code === 'E_UNSUPPORTED_VERSION') {
    report.action = 'failed';
    report.message = `${before.problem.message}; written by a newer version, left alone`;
    code = EXIT.invalid;
  } else {
    code = await repairWithLease(context, ref, report);
  }
  // What was set aside, now or before (a repair never deletes): as the store lists it.
  if (context.setAside !== undefined) {
    report.quarantined = (await context.setAside(ref)).map((f) => ({
      path: f.path,
      size_bytes: f.sizeBytes,
    }));
  }
  if (context.json) {
    context.write(`${safeJson(report)}\n`);
    return code;
  }
  for (const warning of report.warnings) context.write(`${escapeControl(warning.message)}\n`);
  context.write(`${escapeControl(report.message)}\n`);
  if (report.quarantined.length > 0) {
    context.write('quarantined (kept, never deleted):\n');
    for (const q of report.quarantined) {
      const size = q.size_bytes === null ? '' : `  ${formatBytes(q.size_bytes)}`;
      context.write(`  ${escapeControl(q.path)}${size}\n`);
    }
  }
  return code;
}

/** Takes the lease, lets the store's `load` repair, saves the result, releases. */
async function repairWithLease(
  context: Context,
  ref: SummaryRef,
  report: RepairReport,
): Promise<number> {
  let acquired: Awaited<ReturnType<Context['store']['acquire']>>;
  try {
    acquired = await context.store.acquire(ref, { staleAfterSeconds: context.staleAfterSeconds });
  } catch (err) {
    // A live owner appeared since the check: the same refusal, in the store's words.
    if ((err as { code?: unknown }).code !== 'E_CONCURRENT_RUN') throw err;
    throw new CliError('E_USAGE', `${(err as Error).message}; stop it before repairing`, {
      cause: err,
    });
  }
  const { lease } = acquired;
  try {
    let loaded: Awaited<ReturnType<Context['store']['load']>>;
    try {
      // All or nothing: a load that fails part-way has put back what it moved.
      loaded = await context.store.load(ref, { allOrNothing: true });
    } catch (err) {
      const errCode = (err as { code?: unknown }).code;
      // History that cannot be rebuilt, or a valid file of another run or process: left
      // alone, said so.
      if (errCode !== 'E_CORRUPT' && errCode !== 'E_NAME_MISMATCH') throw err;
      report.action = 'failed';
      report.message = (err as Error).message;
      return EXIT.invalid;
    }
    if (loaded === null) {
      throw new CliError(
        'E_NOT_FOUND',
        `${refName(ref)} has no summary, no backup to restore and no journal to rebuild from`,
      );
    }
    // Saved as loaded, not touched: its save time stays that of the last real save, so the
    // status shown afterwards is judged from when the pipeline last wrote, not from the repair.
    try {
      await context.store.save(loaded.summary, lease);
    } catch (err) {
      // A limit the repaired summary cannot meet (E_TOO_LARGE), a full disk: the run is put
      // back as it was found, never left with less.
      try {
        await loaded.undo?.();
      } catch (undoErr) {
        throw new ProcessSummaryError(
          'E_IO',
          `${refName(ref)}: saving the repair failed (${(err as Error).message}) and putting the files back failed too (${(undoErr as Error).message})`,
          { cause: undoErr },
        );
      }
      report.action = 'failed';
      report.message = `${(err as Error).message} Nothing was repaired: every file is as it was found.`;
      return EXIT.invalid;
    }
    report.warnings = loaded.warnings.map((w) => ({ code: w.code, message: w.message }));
    report.action = actionOf(loaded.warnings);
    report.message =
      report.action === 'rebuilt_from_journal'
        ? `${report.location} rebuilt from its journal: a reconstruction, not the last saved state; see the warnings`
        : report.action === 'restored_from_backup'
          ? `${report.location} restored from its previous good version`
          : report.action === 'repaired'
            ? `${report.location} repaired; see the warnings`
            : `${report.location} is valid; nothing to repair`;
    if (report.action === 'rebuilt_from_journal') {
      context.warn(
        `warning: ${escapeControl(report.location)} was rebuilt from its journal; custom metrics and items_total are lost, counters are those of the last journaled event`,
      );
    }
    return EXIT.ok;
  } finally {
    await context.store.release(lease);
  }
}
