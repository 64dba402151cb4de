export type * from './api.js';
export type { Logger } from './logger.js';
export type { DashboardOptions } from './options.js';
export { createDashboardServer, type DashboardServer } from './server.js';
