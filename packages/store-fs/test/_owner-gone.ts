import { rmSync, utimesSync } from 'node:fs';
import type { Lease } from '@process-summary/core';
import type { FileSummaryStore } from '../src/index.js';
import { type OwnerRecord, readOwnerFileSync, writeOwnerRecordSync } from '../src/owner.js';

/**
 * The contract suite's `makeOwnerGone` for the file store: the owner holding `lease` stops
 * beating. Its record is rewritten with a heartbeat an hour old (the file's mtime too), so an
 * owner judged by heartbeat (another host, as the suite's owners are) is gone: a takeover
 * then fences with epoch copies, as after a stalled owner on another host.
 */
export async function makeOwnerGone(store: FileSummaryStore, lease: Lease): Promise<void> {
  const path = store.pathsFor(lease.ref).owner;
  const found = readOwnerFileSync(path);
  const record = found?.record;
  if (record == null) throw new Error(`makeOwnerGone: no owner record at ${path}`);
  const old = Date.now() / 1000 - 3600;
  const stale: OwnerRecord = { ...record, since: Math.min(record.since, old), heartbeat: old };
  rmSync(path);
  writeOwnerRecordSync(path, stale);
  utimesSync(path, old, old);
}
