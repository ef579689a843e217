/**
 * A message in the Outbox in plain words: when it goes, what went wrong, and the one thing that
 * fixes it. The server's own reply is quoted as well (people paste it to their provider), but
 * the sentence before it says what it means.
 */
import type { OutboxItem } from '../../../../shared/contract.js';
import { formatTime } from '../../app/format.js';

export type OutboxError = NonNullable<OutboxItem['lastError']>;

/** A recipient the server refused while it took the message for others. */
export interface Refusal {
  address: string;
  /** 5xx: never tried again; 4xx: tried again for them alone. */
  permanent?: boolean | undefined;
  responseCode?: number | undefined;
  serverText?: string | undefined;
}

/**
 * An Outbox entry as main lists it. Read loosely on purpose: the sending side may add states
 * ('sent' with refusals, kept until dismissed) and fields (`refused`, `sentTo`) before or after
 * this screen learns of them, and an unknown state must show as something, never break the list.
 */
export type OutboxEntry = Omit<OutboxItem, 'state'> & { state: string; refused?: readonly Refusal[] | undefined; sentTo?: readonly string[] | undefined };

/** What a problem asks of the user: type the password, look at the settings, or nothing here. */
export type OutboxFix = 'password' | 'settings' | null;

export interface ProblemText {
  text: string;
  fix: OutboxFix;
}

export interface StateText {
  /** One short line: "Sends in 4 s", "Will try again at 18:05", "May have been sent". */
  headline: string;
  /** Why, when something went wrong (with the server's words). */
  problem: ProblemText | null;
  /** The kind of line it is, for its colour and role. */
  tone: 'normal' | 'warning' | 'error';
  /** Recipients refused while others got it ("Sent, but not to …", or not yet to …). */
  refusals: string | null;
}

const clock = (ms: number) => formatTime(ms);
const dayAndClock = (ms: number) => `${new Date(ms).toLocaleDateString(undefined, { month: 'short', day: 'numeric' })} at ${clock(ms)}`;

/** "in 4 s" under a minute, "at 18:00" today, "on 12 Dec at 18:00" another day. */
export function whenText(at: number, now: number): string {
  const s = Math.max(0, Math.ceil((at - now) / 1000));
  if (s < 60) return `in ${s} s`;
  return new Date(at).toDateString() === new Date(now).toDateString() ? `at ${clock(at)}` : `on ${dayAndClock(at)}`;
}

/** Addresses the server named as refused ("127.0.0.1:25 refused bob@x, eve@y: the server said …"). */
function refusedIn(message: string): string[] {
  const m = /\brefused (?!the )([^:]+?)(?::|$)/.exec(message);
  return m ? m[1]!.split(/,\s*/).filter((a) => a.includes('@')) : [];
}

/** The server's own reply, quoted, or nothing. */
function said(e: OutboxError): string {
  if (!e.serverText) return '';
  return ` The server said: “${e.responseCode ? `${e.responseCode} ` : ''}${e.serverText}”.`;
}

const UNKNOWN_RECIPIENT = /user unknown|unknown user|no such (user|mailbox)|does ?n[o']t exist|mailbox (unavailable|not found)|recipient address rejected|invalid recipient|unrouteable|\b5\.1\.[01]\b/i;
const RELAY_DENIED = /relay(ing)? (access )?(denied|not permitted|prohibited)|not permitted to relay|\b5\.7\.1\b.*relay|relay/i;

/** Why a message could not go, in plain words, and what fixes it. */
export function problemText(e: OutboxError): ProblemText {
  const words = `${e.serverText ?? ''} ${e.message}`;
  switch (e.code) {
    case 'auth':
      return { text: `The outgoing server refused the user name or password. Enter the password in the account’s settings, then send it again.${said(e)}`, fix: 'password' };
    case 'secret':
      return { text: 'Popbox has no password for the outgoing server. Enter it in the account’s settings, then send it again.', fix: 'password' };
    case 'size':
      return { text: `The message is too big for the outgoing server. Remove or shrink attachments and send it again.${said(e)}`, fix: null };
    case 'rejected': {
      const who = refusedIn(e.message);
      if (RELAY_DENIED.test(e.serverText ?? '')) {
        return { text: `The outgoing server will not pass this message on (relay denied): it accepts mail to other domains only from people who log in. Check the outgoing server’s user name and password.${said(e)}`, fix: 'settings' };
      }
      if (who.length > 0 || UNKNOWN_RECIPIENT.test(words)) {
        const whom = who.length ? who.join(', ') : 'a recipient';
        const unknown = UNKNOWN_RECIPIENT.test(words) ? 'unknown recipient' : 'recipient refused';
        return { text: `Not sent to ${whom}: ${unknown}. Check the address, then send it again.${said(e)}`, fix: null };
      }
      return { text: `The outgoing server refused the message.${said(e)}`, fix: null };
    }
    case 'network':
      return { text: 'Popbox could not reach the outgoing server (no network, or the server is down).', fix: null };
    case 'timeout':
      return { text: 'The outgoing server did not answer in time.', fix: null };
    case 'sys-temp':
      return { text: `The outgoing server has a temporary problem.${said(e)}`, fix: null };
    case 'certificate':
      return { text: 'The outgoing server’s certificate is not trusted. Check it in the account’s settings (Test the outgoing server).', fix: 'settings' };
    case 'tls':
      return { text: 'A secure connection to the outgoing server could not be set up. Check its security setting.', fix: 'settings' };
    case 'insecure':
      return { text: 'The password would travel unencrypted to the outgoing server. Choose SSL/TLS or STARTTLS in the account’s settings.', fix: 'settings' };
    case 'unsupported':
      // An address with letters beyond ASCII before the "@": the message names it (smtp/client.ts).
      if (/\bSMTPUTF8\b/.test(e.message)) return { text: `Not sent: ${e.message}. Write to another address of theirs, or send through an outgoing server that accepts such addresses.`, fix: null };
      return { text: `The outgoing server lacks something this message needs (${e.message}).`, fix: null };
    case 'protocol':
      return { text: `The outgoing server answered in a way Popbox did not understand.${said(e)}`, fix: null };
    case 'storage':
      return { text: `The message could not be read from this computer (${e.message}).`, fix: null };
    default: {
      const noServer = /no outgoing server/i.test(e.message);
      return { text: noServer ? 'This account has no outgoing server. Set one up in the account’s settings.' : `${e.message.charAt(0).toUpperCase()}${e.message.slice(1)}${/[.!?]$/.test(e.message) ? '' : '.'}`, fix: noServer ? 'settings' : null };
    }
  }
}

/** What the Outbox shows for a message (`now`: the time the line is drawn). */
export function stateText(item: OutboxEntry, now: number): StateText {
  const problem = item.lastError ? problemText(item.lastError) : null;
  const refused = item.refused ?? [];
  const forGood = refused.filter((r) => r.permanent !== false);
  const forNow = refused.filter((r) => r.permanent === false);
  const refusals = [forGood.length ? refusedText(forGood) : null, forNow.length ? notYetText(forNow) : null].filter((t) => t !== null).join(' ') || null;
  const base = { refusals };
  switch (item.state) {
    case 'waiting':
      return { ...base, headline: item.nextAttemptAt === null ? 'Waiting to be sent' : `Sends ${whenText(item.nextAttemptAt, now)}`, problem, tone: 'normal' };
    case 'sending':
      return { ...base, headline: 'Sending…', problem: null, tone: 'normal' };
    case 'retrying':
      return {
        ...base,
        headline: item.nextAttemptAt === null ? 'Not sent yet: will try again' : `Not sent yet: will try again ${whenText(item.nextAttemptAt, now)}`,
        problem,
        tone: 'warning',
      };
    case 'maybe-sent':
      return {
        ...base,
        headline: 'May have been sent',
        problem: {
          text: 'The connection broke after the whole message went out, before the server confirmed it. The recipients may have it already: send it again only if they did not get it, or mark it as sent.',
          fix: null,
        },
        tone: 'warning',
      };
    case 'failed':
      return { ...base, headline: 'Not sent', problem: problem ?? { text: 'The outgoing server refused the message.', fix: null }, tone: 'error' };
    case 'sent':
      // In Sent already; what is left to say is who did not get it.
      return { ...base, headline: 'Sent, but not to everyone', problem: null, tone: 'warning', refusals: refusals ?? (item.lastError ? item.lastError.message : null) };
    default:
      return { ...base, headline: item.state, problem, tone: 'normal' };
  }
}

/** "Not yet delivered to carol@x (the server said “450 …”): Popbox tries again for them alone." */
function notYetText(refused: readonly Refusal[]): string {
  const who = refused.map((r) => `${r.address}${r.serverText ? ` (the server said “${r.responseCode ? `${r.responseCode} ` : ''}${r.serverText}”)` : ''}`);
  return `Not yet delivered to ${who.join('; ')}: Popbox tries again for ${refused.length === 1 ? 'that recipient' : 'them'} alone.`;
}

/** "Sent, but not to x@y: unknown recipient." for recipients refused while the others got it. */
export function refusedText(refused: readonly Refusal[]): string {
  const parts = refused.map((r) => `${r.address}: ${UNKNOWN_RECIPIENT.test(r.serverText ?? '') ? 'unknown recipient' : 'refused'}${r.serverText ? ` (“${r.responseCode ? `${r.responseCode} ` : ''}${r.serverText}”)` : ''}`);
  return `Sent, but not to ${parts.join('; ')}.`;
}

/** "2 messages waiting to be sent", or null for none. */
export function waitingText(count: number): string | null {
  if (count <= 0) return null;
  return `${count} message${count === 1 ? '' : 's'} waiting to be sent`;
}
