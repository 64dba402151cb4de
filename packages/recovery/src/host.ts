import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { isProcessAlive } from '@process-summary/store-fs';

export { isProcessAlive };

/**
 * This boot of this machine: `/proc/sys/kernel/random/boot_id` changes at every boot, so an
 * owner recorded under another boot id cannot be running any more. `null` where there is no
 * /proc (the checks that need it are then skipped).
 */
export function readBootId(): string | null {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || null;
  } catch {
    return null;
  }
}

/**
 * When a process started, in clock ticks since boot: field 22 of `/proc/<pid>/stat`. A pid
 * reused by another program has another start time. The command name (field 2) may contain
 * spaces and parentheses, so fields are counted after the last `)`.
 */
export function readProcessStartTime(pid: number): string | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  return parseStartTime(stat);
}

/** Field 22 of a `/proc/<pid>/stat` line, or null when the line is not one. */
export function parseStartTime(stat: string): string | null {
  const close = stat.lastIndexOf(')');
  if (close < 0) return null;
  // After ") " come fields 3, 4, …: field 22 is the 20th of them.
  const fields = stat.slice(close + 2).split(' ');
  const value = fields[19];
  return value !== undefined && /^\d+$/.test(value) ? value : null;
}

/** Who this process is, as an owner record names it. */
export interface ProcessIdentity {
  host: string;
  bootId: string | null;
  pid: number;
  pidStart: string | null;
}

let cached: ProcessIdentity | undefined;

/** This process's identity (read once: none of it changes while the process runs). */
export function currentProcess(): ProcessIdentity {
  cached ??= {
    host: hostname(),
    bootId: readBootId(),
    pid: process.pid,
    pidStart: readProcessStartTime(process.pid),
  };
  return cached;
}
