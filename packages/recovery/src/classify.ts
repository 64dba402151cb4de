import {
  type InterruptionReason,
  type PreviousOwner,
  type ProcessSummary,
  RESUMED_MESSAGE,
} from '@process-summary/core';

/** What resuming found about how the previous session ended. */
export interface ResumeClassification {
  /** How the previous session ended: a clean end (`completed`, `failed`) or an interruption. */
  previousEnd: 'completed' | 'failed' | InterruptionReason;
  interrupted: boolean;
  /** A sentence, e.g. `owner pid 4242 on host-a is gone`. */
  detail: string;
}

/**
 * Classifies how the previous session of a summary read from the file ended, and records it:
 * an interruption counts in `interruption_count`, closes the unfinished session with its
 * reason, and adds the seed's messages ("Interruption detected: …", then "Process resumed
 * after interruption"). A clean end (completed, failed) is not an interruption.
 *
 * In order: the status the file recorded (a clean end, or a signal / exit recorded by the
 * handler); else what the store said of the owner it was taken over from (`acquire`'s
 * `previous`: crash, pid reused, reboot, stale heartbeat of another host); else the seed's rule (no checkpoint for
 * longer than the threshold); else a crash: the summary says running and nobody owns it.
 */
export function classifyResume(
  summary: ProcessSummary,
  previousOwner: PreviousOwner | null,
): ResumeClassification {
  const status = summary.status;
  if (status === 'completed' || status === 'failed') {
    return { previousEnd: status, interrupted: false, detail: `the previous session ${status}` };
  }
  let result: ResumeClassification;
  const last = summary.sessions.at(-1);
  if (status === 'interrupted' && summary.unfinishedSession === null) {
    const reason: InterruptionReason = last?.end_reason === 'signal' ? 'signal' : 'exit';
    const detail =
      reason === 'signal'
        ? `stopped by ${last?.signal ?? 'a signal'}`
        : 'the process exited without ending the summary';
    summary.recordInterruption({ reason, detail });
    result = { previousEnd: reason, interrupted: true, detail };
  } else if (previousOwner !== null) {
    const reason: InterruptionReason =
      previousOwner.reason === 'unreadable' ? 'crash' : previousOwner.reason;
    summary.recordInterruption({ reason, detail: previousOwner.detail });
    result = { previousEnd: reason, interrupted: true, detail: previousOwner.detail };
  } else if (summary.detectInterruption()) {
    const detail = summary.progressUpdates.at(-1)?.message ?? 'no recent checkpoint';
    result = { previousEnd: 'checkpoint_gap', interrupted: true, detail };
  } else {
    const detail = 'the previous process ended without a record';
    summary.recordInterruption({ reason: 'crash', detail });
    result = { previousEnd: 'crash', interrupted: true, detail };
  }
  summary.addProgressUpdate(RESUMED_MESSAGE);
  return result;
}
