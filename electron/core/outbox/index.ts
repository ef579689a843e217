export { MaybeSentRefusal, Outbox, checkedMessage } from './outbox.js';
export type { EnqueueInput, OutboxDeps, OutboxEvent, OutboxItem, OutboxState } from './outbox.js';
export { OutboxStateFile, backoffDelay, fold, nextDue, recoveryRecord, DEFAULT_BACKOFF_MS } from './state.js';
export type { OutboxEntry, OutboxError, OutboxRecord, Phase } from './state.js';
