import type { ProcessSummary } from '@process-summary/core';

/** A summary file's bytes: the summary dictionary as indented JSON (like the seed's files). */
export function summaryBytes(summary: ProcessSummary): Buffer {
  return Buffer.from(`${JSON.stringify(summary.getSummaryDict(), null, 2)}\n`, 'utf8');
}
