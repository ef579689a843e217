/**
 * Who joined a conversation from outside (issue 17 §3, review 8). Anyone who knows one
 * Message-ID of a conversation can put a message into it (References / In-Reply-To), so a
 * phishing mail ("the bank details changed, pay here") can sit inside a trusted exchange. As
 * Gmail and Thunderbird-style clients warn, the reading pane notes such a message.
 *
 * The rule, by the sender's domain (the part after @, any case):
 *  1. the conversation's first message (the one downloaded or written first: a Date header can
 *     be forged, the download time cannot) is inside, and so is every message the user wrote
 *     here (filed in Sent, the Outbox or Drafts). A downloaded message is never the user's,
 *     whatever its From says: anyone can write `From: you`, and such a forgery with a Cc to
 *     its own domain would otherwise let that domain in;
 *  2. a message is inside when its sender's domain is named (From, To or Cc) on a message that
 *     is already inside — the user's own addresses left out, so a stranger at the user's own
 *     mail provider is not let in by the user being on the To line;
 *  3. repeat 2 until nothing changes; what is left is "from outside this conversation".
 * A message never vouches for itself, and two messages of one outsider never vouch for each
 * other: only what is already inside lets anyone in. Pure; work is linear in the addresses.
 */
import { roleOf } from '../../../../shared/folders.js';
import type { Address } from '../../../../shared/messages.js';

export interface OutsiderRow {
  id: string;
  /** The folder it is filed in: Sent, Outbox and Drafts hold what was written here. */
  folder: string;
  from: readonly Address[];
  to: readonly Address[];
  cc: readonly Address[];
  /** When it was downloaded or written here (ms). */
  receivedAt: number;
  date: number;
}

/** The folders of what the user writes (downloaded mail is never filed in these by Popbox). */
const WRITTEN_HERE: ReadonlySet<string> = new Set(['sent', 'outbox', 'drafts']);

/** The domain of an address, lower case, without a trailing dot; '' without one. */
export function domainOf(address: string): string {
  const at = address.lastIndexOf('@');
  return at < 0 ? '' : address.slice(at + 1).trim().toLowerCase().replace(/\.$/, '');
}

/**
 * The messages from outside the conversation, each with its sender's address ('' when it has
 * none). `own`: the user's addresses, lower case. A conversation of one message has none.
 */
export function outsiders(rows: readonly OutsiderRow[], own: ReadonlySet<string>): Map<string, string> {
  const out = new Map<string, string>();
  if (rows.length < 2) return out;
  const sender = (r: OutsiderRow) => r.from.find((a) => a.address)?.address ?? '';
  const isOwn = (r: OutsiderRow) => WRITTEN_HERE.has(roleOf(r.folder) ?? '');
  const first = rows.reduce((a, b) => (b.receivedAt < a.receivedAt || (b.receivedAt === a.receivedAt && b.date < a.date) ? b : a));

  const inside = new Set<string>();
  const known = new Set<string>();
  const waiting = new Map<string, OutsiderRow[]>();
  const queue: string[] = [];
  const admit = (r: OutsiderRow) => {
    inside.add(r.id);
    for (const a of [...r.from, ...r.to, ...r.cc]) {
      if (!a.address || own.has(a.address.toLowerCase())) continue;
      const d = domainOf(a.address);
      if (d && !known.has(d)) {
        known.add(d);
        queue.push(d);
      }
    }
  };
  for (const r of rows) {
    if (r === first || isOwn(r)) admit(r);
    else {
      const d = domainOf(sender(r));
      const list = waiting.get(d);
      if (list) list.push(r);
      else waiting.set(d, [r]);
    }
  }
  for (let d = queue.pop(); d !== undefined; d = queue.pop()) {
    const list = waiting.get(d);
    if (!list || d === '') continue;
    waiting.delete(d);
    for (const r of list) admit(r);
  }
  for (const list of waiting.values()) for (const r of list) out.set(r.id, sender(r));
  return out;
}
