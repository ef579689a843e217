/** Sync errors in plain language, with the one action that fixes each. */
import type { SyncOutcome } from '../../../../shared/contract.js';
import type { StatusRow } from '../../db/database.js';
import { plural } from '../../../../shared/plural.js';
import { formatTime } from '../../app/format.js';

/**
 * No action trusts a certificate: a background sync cannot tell a renewed certificate from an
 * attacker's, so trusting one happens only in the account's settings, where the user typed the host.
 */
export type FixAction = { kind: 'password' } | { kind: 'settings' } | { kind: 'retry' } | null;

export interface Explanation {
  text: string;
  action: FixAction;
  /** A certificate that is not the one expected: both fingerprints, for people to compare. */
  certificate?: CertificateChange;
}

export interface CertificateChange {
  /** The pinned certificate, or the one last seen; null when Popbox never had a verified connection. */
  expected: string | null;
  presented: string | null;
}

/** Why a changed certificate stops everything, in words for people, not for cryptographers. */
export function certificateText(accountName: string, change: CertificateChange, where: 'status' | 'settings' = 'status'): string {
  const what = change.expected ? "the server's certificate has changed" : "the server's certificate is not trusted";
  const advice = where === 'status' ? ' If your provider confirms the new fingerprint, accept it in the account settings.' : '';
  return `${accountName}: ${what}. Someone may be intercepting the connection to read your password and mail, so Popbox stopped checking this account and sent it nothing.${advice}`;
}

export function explain(status: StatusRow, accountName: string): Explanation | null {
  const e = status.lastError;
  if (!e) return null;
  const retry = status.nextRunAt ? ` Popbox will try again at ${formatTime(status.nextRunAt)}.` : '';
  switch (e.code) {
    case 'auth':
      return { text: `${accountName}: the server refused the user name or password. Enter the password again.`, action: { kind: 'password' } };
    case 'secret':
      return { text: `${accountName}: Popbox could not get the password (${e.message}).`, action: { kind: 'password' } };
    case 'certificate': {
      const change = { expected: e.expectedFingerprint256 ?? null, presented: e.fingerprint256 ?? null };
      return { text: certificateText(accountName, change), action: { kind: 'settings' }, certificate: change };
    }
    case 'tls':
      return { text: `${accountName}: a secure connection could not be set up (${e.message}).`, action: { kind: 'settings' } };
    case 'in-use':
      return { text: `${accountName}: the mailbox is busy (another program is reading it).${retry}`, action: { kind: 'retry' } };
    case 'login-delay':
      return { text: `${accountName}: the server asks to wait between checks.${retry}`, action: null };
    case 'sys-temp':
      return { text: `${accountName}: the server has a temporary problem.${retry}`, action: { kind: 'retry' } };
    case 'network':
      return { text: `${accountName}: cannot reach the server (${e.message}).${retry}`, action: { kind: 'retry' } };
    case 'timeout':
      return { text: `${accountName}: the server did not answer in time.${retry}`, action: { kind: 'retry' } };
    case 'insecure':
      return { text: `${accountName}: the password would be sent unencrypted. Choose a secure connection in the account settings.`, action: { kind: 'settings' } };
    case 'storage':
      return { text: `${accountName}: mail could not be saved on this computer (${e.message}). Nothing was deleted from the server.`, action: { kind: 'retry' } };
    case 'unsupported':
      return { text: `${accountName}: ${e.message}`, action: { kind: 'settings' } };
    default:
      return { text: `${accountName}: ${e.message}`, action: { kind: 'retry' } };
  }
}

export function progressText(p: NonNullable<StatusRow['progress']>): string {
  const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
  switch (p.phase) {
    case 'connecting':
      return 'Connecting…';
    case 'authenticating':
      return 'Logging in…';
    case 'listing':
      return 'Checking for new mail…';
    case 'downloading':
      return `Downloading ${p.done} of ${p.total}${p.totalBytes > 0 ? ` · ${mb(p.bytes)} of ${mb(p.totalBytes)}` : ''}`;
    case 'deleting':
      return 'Cleaning up the server…';
    case 'finishing':
    default:
      return 'Finishing…';
  }
}

/**
 * What Get Mail did, for the status line: new mail and what was removed from the server (the
 * user should hear of deletions, wanted or not). Null when every account failed: each says why.
 */
export function syncSummaryText(outcomes: readonly SyncOutcome[]): string | null {
  const done = outcomes.filter((o) => o.ok);
  if (done.length === 0) return outcomes.length === 0 ? 'No new mail.' : null;
  const got = done.reduce((n, o) => n + o.result.downloaded + o.result.headersOnly, 0);
  const deleted = done.reduce((n, o) => n + o.result.deletedOnServer, 0);
  const parts = [got ? plural(got, 'new message', 'new messages') : 'No new mail'];
  if (deleted) parts.push(`${plural(deleted, 'message', 'messages')} deleted from the server`);
  return `${parts.join('; ')}.`;
}
