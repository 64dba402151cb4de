/**
 * Posing as another owner in the file store (a takeover by another host, as the store would
 * see it), through the store's own record functions: tests only.
 */
import { rmSync } from 'node:fs';
import { FileSummaryStore } from '@process-summary/store-fs';
import {
  type OwnerRecord,
  readOwnerFileSync,
  writeOwnerRecordSync,
} from '../../store-fs/src/owner.js';

export type { OwnerRecord };
export { writeOwnerRecordSync };

/** The owner record path of (run, process) under `root`. */
export function ownerPathOf(root: string, runName = 'harvard_2024', processName = 'collect') {
  return new FileSummaryStore({ root }).pathsFor({ runName, processName }).owner;
}

/** The owner record of (run, process) under `root`, as stored. */
export function ownerRecordOf(root: string, runName?: string, processName?: string): OwnerRecord {
  const record = readOwnerFileSync(ownerPathOf(root, runName, processName))?.record;
  if (record == null) throw new Error('no owner record');
  return record;
}

/** Replaces the owner record with one of another host's live process, as a takeover would. */
export function takeOwnershipAway(root: string, runName?: string, processName?: string): void {
  const path = ownerPathOf(root, runName, processName);
  const record = ownerRecordOf(root, runName, processName);
  rmSync(path);
  const now = Date.now() / 1000;
  writeOwnerRecordSync(path, {
    ...record,
    host: 'usurper',
    pid: 1,
    token: 'c'.repeat(24),
    epoch: record.epoch + 1,
    since: now,
    heartbeat: now,
  });
}

/** The owner state of (run, process) under `root`, as the file store judges it. */
export async function ownerState(root: string, runName = 'harvard_2024', processName = 'collect') {
  return (await new FileSummaryStore({ root }).ownerStatus({ runName, processName })).state;
}
