export type { Logger } from '@process-summary/core';
export type * from './api.js';
export type { DashboardOptions } from './options.js';
export { createDashboardServer, type DashboardServer } from './server.js';
