export { classifyResume, type ResumeClassification } from './classify.js';
export {
  type CreateProcessSummaryOptions,
  createProcessSummary,
  releaseProcessSummary,
  resumeInfo,
  saveProcessSummary,
} from './create.js';
export {
  currentProcess,
  type ProcessIdentity,
  parseStartTime,
  readBootId,
  readProcessStartTime,
} from './host.js';
export {
  acquireOwnership,
  judge,
  type OwnerGoneReason,
  OwnerLease,
  type OwnerRecord,
  ownerPathFor,
  type PreviousOwner,
  readOwnerRecord,
  writeOwnerRecordSync,
} from './lease.js';
export { ProcessSummaryManager } from './manager.js';
