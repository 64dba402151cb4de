/**
 * Owners as the database records them, and how they are judged: by the lease (the heartbeat,
 * stamped with the database's `now()`, so host clocks never matter), or at once when the
 * owner ran on this very host and its process is provably gone.
 */
import {
  type OwnerIdentity,
  type OwnerInfo,
  type OwnerStatus,
  ProcessSummaryError,
  refName,
  type SummaryRef,
} from '@process-summary/core';
import { goneHere } from './local-process.js';

/** The owner columns of a summaries row, with the database's clock. */
export const OWNER_COLUMNS = `owner_epoch, owner_host, owner_pid, owner_boot_id, owner_pid_namespace,
  owner_pid_start, extract(epoch FROM owner_since)::float8 AS owner_since,
  extract(epoch FROM owner_heartbeat)::float8 AS owner_heartbeat,
  extract(epoch FROM now())::float8 AS db_now`;

export interface OwnerRow {
  owner_epoch: string | null;
  owner_host: string | null;
  owner_pid: number | null;
  owner_boot_id: string | null;
  owner_pid_namespace: string | null;
  owner_pid_start: string | null;
  owner_since: number | null;
  owner_heartbeat: number | null;
  db_now: number;
}

export function ownerOf(row: OwnerRow): OwnerInfo | null {
  if (row.owner_epoch === null) return null;
  return {
    host: row.owner_host ?? '',
    pid: row.owner_pid ?? 0,
    bootId: row.owner_boot_id,
    pidNamespace: row.owner_pid_namespace,
    pidStart: row.owner_pid_start,
    epoch: Number(row.owner_epoch),
    since: row.owner_since ?? 0,
    heartbeat: row.owner_heartbeat ?? 0,
  };
}

export const NO_OWNER: OwnerStatus = { state: 'none', reason: 'no owner', owner: null, gone: null };

/** Whether the owner of `row` is alive: proven gone on this host, or its lease expired. */
export function judge(row: OwnerRow | undefined, staleAfterSeconds: number): OwnerStatus {
  const owner = row === undefined ? null : ownerOf(row);
  if (row === undefined || owner === null) return { ...NO_OWNER };
  const here = goneHere(owner);
  if (here !== null) return { state: 'dead', reason: here.reason, owner, gone: here.gone };
  const who = `pid ${owner.pid} on ${owner.host}`;
  const age = Math.max(0, row.db_now - owner.heartbeat);
  if (age > staleAfterSeconds) {
    return {
      state: 'dead',
      reason: `owner ${who} is gone: its lease was not renewed for ${Math.round(age)} s (threshold ${staleAfterSeconds} s)`,
      owner,
      gone: 'stale',
    };
  }
  return {
    state: 'alive',
    reason: `${who}: lease renewed ${Math.round(age)} s ago`,
    owner,
    gone: null,
  };
}

export function ownerIdentity(owner: OwnerIdentity): OwnerIdentity {
  if (typeof owner !== 'object' || owner === null) {
    throw Object.assign(new TypeError('owner must be an object'), { code: 'E_INVALID_ARGUMENT' });
  }
  if (typeof owner.host !== 'string' || owner.host === '' || owner.host.includes('\0')) {
    throw Object.assign(new TypeError('owner.host must be a non-empty string'), {
      code: 'E_INVALID_ARGUMENT',
    });
  }
  if (!Number.isSafeInteger(owner.pid) || owner.pid < 0 || owner.pid > 2 ** 31 - 1) {
    throw Object.assign(new RangeError('owner.pid must be a non-negative 32-bit integer'), {
      code: 'E_INVALID_ARGUMENT',
    });
  }
  return {
    host: owner.host,
    pid: owner.pid,
    bootId: owner.bootId ?? null,
    pidNamespace: owner.pidNamespace ?? null,
    pidStart: owner.pidStart ?? null,
  };
}

export function concurrentRun(ref: SummaryRef, owner: OwnerInfo): ProcessSummaryError {
  const since = new Date(owner.since * 1000).toISOString();
  return new ProcessSummaryError(
    'E_CONCURRENT_RUN',
    `process-summary: ${refName(ref)} is owned by pid ${owner.pid} on ${owner.host} since ${since}; wait for it to finish or stop it first`,
  );
}

export function leaseLost(
  ref: SummaryRef,
  epoch: number,
  row: OwnerRow | undefined,
): ProcessSummaryError {
  const holder = row?.owner_epoch == null ? 'released' : `epoch ${row.owner_epoch} holds it`;
  return new ProcessSummaryError(
    'E_LEASE_LOST',
    `process-summary: the lease on ${refName(ref)} (epoch ${epoch}) is no longer current (${holder}); this process must stop writing`,
  );
}
