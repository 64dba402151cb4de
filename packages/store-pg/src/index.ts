export type { Logger } from '@process-summary/core';
export { SCHEMA_VERSION } from './migrations.js';
export type { PgSummaryStoreOptions } from './options.js';
export { PgSummaryStore } from './pg-store.js';
