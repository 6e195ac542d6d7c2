/** Workflow types registered on the `ccsync` task queue. Bundled for the sandbox: no I/O imports. */
export { backfill } from './backfill';
export { incrementalSync } from './incremental-sync';
export { syncWindow } from './sync-window';
