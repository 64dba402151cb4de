export { classifyResume, type ResumeClassification } from './classify.js';
export {
  type CreateProcessSummaryOptions,
  createProcessSummary,
  releaseProcessSummary,
  removeProcessSummary,
  resumeInfo,
  saveProcessSummary,
} from './create.js';
export { ProcessSummaryManager } from './manager.js';
