/**
 * This process as an owner, and whether an owner recorded on this very host is gone. A lease
 * in the database expires by the database's clock; but an owner that ran on this host, in
 * this pid namespace, under this boot, can be judged at once by its process, so a pipeline
 * restarted after a crash does not wait out the lease.
 *
 * (The file store reads the same /proc facts in its owner.ts; store-pg may not depend on
 * store-fs, and the dozen lines are not worth a package of their own.)
 */
import { readFileSync, readlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import type { OwnerGoneReason, OwnerIdentity } from '@process-summary/core';

function readOrNull(read: () => string): string | null {
  try {
    return read().trim() || null;
  } catch {
    return null;
  }
}

function startTimeOf(pid: number): string | null {
  const stat = readOrNull(() => readFileSync(`/proc/${pid}/stat`, 'utf8'));
  if (stat === null) return null;
  // Field 22, counted after the command name (which may hold spaces and parentheses).
  const value = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  return value !== undefined && /^\d+$/.test(value) ? value : null;
}

let cached: Required<OwnerIdentity> | undefined;

/** This process, as an owner record names it. */
export function currentOwner(): Required<OwnerIdentity> {
  cached ??= {
    host: hostname(),
    pid: process.pid,
    bootId: readOrNull(() => readFileSync('/proc/sys/kernel/random/boot_id', 'utf8')),
    pidNamespace: readOrNull(() => readlinkSync('/proc/self/ns/pid')),
    pidStart: startTimeOf(process.pid),
  };
  return cached;
}

function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * How `owner` went, when this host can prove it gone (same boot and pid namespace, its pid dead
 * or now another process's); `null` when it may be alive or runs elsewhere (judged by its lease).
 */
export function goneHere(owner: OwnerIdentity): { gone: OwnerGoneReason; reason: string } | null {
  const me = currentOwner();
  if (owner.host !== me.host) return null;
  const who = `pid ${owner.pid} on ${owner.host}`;
  // Only this very boot of this very machine can judge a pid. Another boot id under the same
  // host name is not proof of a reboot here: two machines (or containers) may share a host
  // name, and taking a live owner's lease on that guess is worse than waiting for it to expire.
  if (owner.bootId == null || owner.bootId !== me.bootId) return null;
  if ((owner.pidNamespace ?? null) !== me.pidNamespace) return null;
  if (!isAlive(owner.pid)) return { gone: 'crash', reason: `owner ${who} is gone` };
  const start = startTimeOf(owner.pid);
  if (owner.pidStart != null && start !== null && start !== owner.pidStart) {
    return {
      gone: 'crash',
      reason: `owner ${who} is gone (the pid now belongs to another process)`,
    };
  }
  return null;
}
