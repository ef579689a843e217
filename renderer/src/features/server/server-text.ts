/**
 * What the On the server view says, in plain words: each message's standing (badges), the
 * mailbox's header line, why an action is not offered for a row, what an action did, and why a
 * listing failed. Pure, so the words are tested without a screen.
 */
import type { ErrorCode } from '../../../../shared/errors.js';
import type { ServerDeleteResult, ServerDownloadResult, ServerMessage } from '../../../../shared/server-view.js';
import { pluralWord } from '../../../../shared/plural.js';
import { CLOSING_TEXT } from '../../app/closing.js';
import { formatBytes } from '../../app/format.js';

export type BadgeTone = 'neutral' | 'good' | 'warning' | 'danger';
export interface Badge {
  text: string;
  tone: BadgeTone;
  /** A longer word for a tooltip. */
  title?: string;
}

/** "1,204 messages": the count grouped as the screen shows numbers. */
const messages = (n: number) => `${n.toLocaleString()} ${pluralWord(n, 'message')}`;

const LOCAL: Record<ServerMessage['local'], Badge> = {
  downloaded: { text: 'Downloaded', tone: 'good', title: 'A copy is on this computer' },
  'headers-only': { text: 'Headers only', tone: 'neutral', title: 'Only its headers are on this computer; the rest is downloaded when you open it' },
  'not-downloaded': { text: 'Not downloaded', tone: 'neutral', title: 'Only on the server' },
  'deleted-here': { text: 'Deleted here', tone: 'neutral', title: 'You deleted it on this computer; it is still on the server' },
};

/** Why the next check deletes it on the server. */
export const DELETION_REASON: Record<NonNullable<ServerMessage['pendingDeletion']>, string> = {
  downloaded: 'downloaded, and this account does not leave mail on the server',
  expired: 'older than the days to keep on the server',
  'deleted-locally': 'deleted here',
  filtered: 'a filter said delete from the server',
  chosen: 'you chose to delete it',
};

/** A junk score (0–1) as people read it: "97%". */
export const scoreText = (score: number) => `${Math.round(Math.min(1, Math.max(0, score)) * 100)}%`;

/** The row's badges, most important first: held or suspected junk, a coming deletion, where it is here. */
export function badgesOf(m: ServerMessage): Badge[] {
  const out: Badge[] = [];
  if (m.heldAsJunk) out.push({ text: `Held as junk${m.junk ? ` (${scoreText(m.junk.score)})` : ''}`, tone: 'danger', title: 'Left on the server because the junk filter suspects it; download it if it is not junk, or delete it from the server' });
  else if (m.junk && m.junk.verdict !== 'ham') out.push({ text: `Junk? ${scoreText(m.junk.score)}`, tone: m.junk.verdict === 'junk' ? 'danger' : 'warning', title: m.junk.verdict === 'junk' ? 'The junk filter thinks this is junk' : 'The junk filter is unsure about this one' });
  if (m.pendingDeletion) out.push({ text: `Will be deleted at next check (${DELETION_REASON[m.pendingDeletion]})`, tone: 'warning' });
  out.push(LOCAL[m.local]);
  return out;
}

/** "Listed just now", "Listed 2 min ago", "Listed 3 h ago", "Listed on 4 Dec"; "Not listed yet". */
export function listedText(listedAt: number | null, now: number, dateText: (ms: number) => string): string {
  if (listedAt === null) return 'Not listed yet';
  const s = Math.max(0, Math.round((now - listedAt) / 1000));
  if (s < 45) return 'Listed just now';
  const min = Math.round(s / 60);
  if (min < 60) return `Listed ${min} min ago`;
  const h = Math.round(min / 60);
  if (h < 24) return `Listed ${h} h ago`;
  return `Listed on ${dateText(listedAt)}`;
}

/** STAT in words: "12 messages, 3.4 MB on the server". */
export function mailboxText(count: number, bytes: number): string {
  return `${messages(count)}, ${formatBytes(bytes)} on the server`;
}

export type ServerAction = 'delete' | 'download' | 'headers';

/** Why `action` skips this message, or null when it applies. Deleting applies to anything still on the server. */
export function notApplicable(action: ServerAction, m: ServerMessage): string | null {
  if (action === 'delete') return null;
  if (m.local === 'downloaded') return 'already downloaded';
  if (m.local === 'deleted-here') return 'downloaded once and deleted here';
  // Its headers are here: opening it downloads the rest (the ledger never downloads it twice).
  if (m.local === 'headers-only') return action === 'headers' ? 'already here as headers only' : 'already here as headers only (open it to get the rest)';
  return null;
}

export interface ActionState {
  /** The messages the action would act on. */
  uidls: string[];
  /** Set when it does nothing for this selection: why, in words for the button's tooltip. */
  disabledReason: string | null;
  /** Some of the selection are left out, and why ("2 already downloaded"). */
  leftOut: string | null;
}

const NOUN: Record<ServerAction, string> = { delete: 'delete', download: 'download', headers: 'download headers of' };

/** What an action does for the selected messages: which ones, or why not. */
export function actionState(action: ServerAction, selected: readonly ServerMessage[]): ActionState {
  if (selected.length === 0) return { uidls: [], disabledReason: `Select messages to ${NOUN[action]} (Space or x selects)`, leftOut: null };
  const reasons = new Map<string, number>();
  const uidls: string[] = [];
  for (const m of selected) {
    const why = notApplicable(action, m);
    if (why) reasons.set(why, (reasons.get(why) ?? 0) + 1);
    else uidls.push(m.uidl);
  }
  const leftOut = reasons.size ? [...reasons].map(([why, n]) => `${n.toLocaleString()} ${why}`).join(', ') : null;
  if (uidls.length === 0) {
    const only = selected.length === 1 ? `This message is ${[...reasons.keys()][0]}` : `Nothing to ${NOUN[action]}: ${leftOut}`;
    return { uidls, disabledReason: `${only}.`, leftOut };
  }
  return { uidls, disabledReason: null, leftOut };
}

/** The toast after Delete from server: "2 messages deleted from the server". */
export function deletedText(r: ServerDeleteResult): string {
  const parts: string[] = [];
  if (r.deleted > 0 || r.gone === 0) parts.push(`${messages(r.deleted)} deleted from the server`);
  if (r.gone > 0) parts.push(`${messages(r.gone)} ${r.gone === 1 ? 'was' : 'were'} already gone (deleted elsewhere)`);
  return parts.join('; ');
}

/** The toast after Download / Download headers only. */
export function downloadedText(r: ServerDownloadResult, headersOnly: boolean): string {
  const parts = [headersOnly ? `Headers of ${messages(r.downloaded)} downloaded` : `${messages(r.downloaded)} downloaded`];
  if (r.alreadyHere > 0) parts.push(`${r.alreadyHere.toLocaleString()} ${r.alreadyHere === 1 ? 'was' : 'were'} already here`);
  if (r.gone > 0) parts.push(`${r.gone.toLocaleString()} no longer on the server`);
  return parts.join('; ');
}

/** What can be done about a failed listing or action. */
export type ServerFix = 'password' | 'settings' | 'retry' | null;

/** A failure from main in plain words, by its code; the server's own words only where they help. */
export function serverErrorText(code: ErrorCode, message: string, accountName: string): { text: string; fix: ServerFix } {
  switch (code) {
    case 'network':
      return { text: `Cannot reach ${accountName}'s server: you may be offline, or the server is down.`, fix: 'retry' };
    case 'timeout':
      return { text: `${accountName}'s server did not answer in time.`, fix: 'retry' };
    case 'auth':
      return { text: `${accountName}'s server refused the password. Enter it again to see what is on the server.`, fix: 'password' };
    case 'secret':
      return { text: `Popbox needs ${accountName}'s password to look at the server (${message}).`, fix: 'password' };
    case 'in-use':
      return { text: `The mailbox is busy: another program is reading it right now. Try again in a moment.`, fix: 'retry' };
    case 'login-delay':
      return { text: `The server asks to wait between logins. Try again in a few minutes.`, fix: 'retry' };
    case 'sys-temp':
      return { text: `The server has a temporary problem. Try again later.`, fix: 'retry' };
    case 'certificate':
      return { text: `${accountName}'s server presented a certificate Popbox does not trust, so it sent nothing. Check it in the account settings.`, fix: 'settings' };
    case 'tls':
      return { text: `A secure connection to ${accountName}'s server could not be set up (${message}).`, fix: 'settings' };
    case 'insecure':
      return { text: `The password would travel unencrypted. Choose a secure connection in the account settings.`, fix: 'settings' };
    case 'unsupported':
      return { text: message, fix: 'settings' };
    case 'not-found':
      return { text: `This account is no longer here.`, fix: null };
    case 'storage':
      return { text: `Mail could not be saved on this computer (${message}). Nothing was deleted from the server.`, fix: 'retry' };
    case 'closing':
      return { text: CLOSING_TEXT, fix: null };
    case 'cancelled':
      return { text: message, fix: null };
    default:
      return { text: message, fix: 'retry' };
  }
}
