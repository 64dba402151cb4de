import { type ProcessSummary, summaryDictToWrite } from '@process-summary/core';

/**
 * A summary file's bytes: the summary dictionary as indented JSON (like the seed's files). The
 * dictionary shares the summary's custom metrics (no deep copy) and is serialized at once.
 */
export function summaryBytes(summary: ProcessSummary): Buffer {
  const dict = summaryDictToWrite(summary);
  return Buffer.from(`${JSON.stringify(dict, null, 2)}\n`, 'utf8');
}
