/** MIME: summaries for the inbox, bodies and attachments for the reader. */
export { summarize } from './summary.js';
export { readBody, readTextParts, saveAttachment, openAttachment, DEFAULT_MAX_TEXT_BYTES, type ReadBodyOptions } from './body.js';
