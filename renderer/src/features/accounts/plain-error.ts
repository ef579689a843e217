/**
 * Errors from main in the words of the account form. Main names the method and the schema path
 * ("addAccount: account.name: must not be empty"): useful in a log, not on a screen, where the
 * person knows the field by its label.
 */
import { isApiError } from '../../api/client.js';

const LABEL: Record<string, string> = {
  name: 'Account name',
  email: 'Email address',
  host: 'Server',
  port: 'Port',
  security: 'Security',
  user: 'User name',
  authMechanism: 'Authentication method',
  tlsFingerprint: 'Trusted certificate fingerprint',
  password: 'Password',
  deleteAfterDays: 'Days to keep on server',
  deleteWhenDeletedLocally: 'Delete from server when deleted here',
  maxMessageSizeKB: 'Headers-only size limit',
  checkEveryMinutes: 'Check every',
};

/** The outgoing server's fields and an identity's are told apart from the incoming server's. */
const SMTP_LABEL: Record<string, string> = { host: 'Outgoing server', port: 'Outgoing port', security: 'Outgoing security', user: 'Outgoing user name', mechanism: 'Outgoing login', tlsFingerprint: 'Outgoing server’s trusted certificate', password: 'Outgoing password', auth: 'Outgoing login' };
const IDENTITY_LABEL: Record<string, string> = { name: 'Your name', address: 'Email address', replyTo: 'Reply-to address', signature: 'Signature' };

function labelOf(path: string, field: string): string | undefined {
  if (/(^|\.)smtp\./.test(path)) return SMTP_LABEL[field];
  const identity = /(?:^|\.)identities\.(\d+)\./.exec(path);
  if (identity) return IDENTITY_LABEL[field] && `Identity ${Number(identity[1]) + 1}: ${IDENTITY_LABEL[field]}`;
  if (field === 'identities') return 'Identities';
  return LABEL[field];
}

/** "addAccount: account.name: must not be empty" → "Account name: must not be empty." */
export function plainError(e: unknown): string {
  const text = isApiError(e) ? e.message : e instanceof Error ? e.message : String(e);
  // An optional method name, then a dotted path whose last known segment is a field.
  const m = /^(?:[a-zA-Z]+: )?((?:[\w[\]]+\.)*([\w]+)): (.+)$/s.exec(text);
  const label = m ? labelOf(m[1]!, m[2]!) : undefined;
  const body = label ? `${label}: ${m![3]}` : text.replace(/^[a-zA-Z]+: (?=[a-z])/, '');
  const sentence = body.charAt(0).toUpperCase() + body.slice(1);
  return /[.!?]$/.test(sentence) ? sentence : `${sentence}.`;
}
