export { sendRaw, probe, messageIdOf } from './client.js';
export type { RawMessage, SendResult, ProbeResult } from './client.js';
export { parseEhlo } from './capabilities.js';
export type { SmtpCapabilities } from './capabilities.js';
export { SmtpError, isSmtpError, fromNodemailer, parseReply } from './errors.js';
export type { SmtpErrorCode, SmtpStage, RecipientRefusal } from './errors.js';
export { openSession, connectionOptions, DEFAULT_TIMEOUTS } from './transport.js';
export type { SmtpSettings, SmtpSession, PasswordAuth, TokenAuth, Security, TlsOptions } from './transport.js';
