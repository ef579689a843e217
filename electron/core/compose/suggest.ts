/**
 * Address autocomplete from stored mail: every address the user wrote to (To and Cc of their
 * own messages: in Sent, or made here from one of their addresses) or heard from (From of the
 * rest; never Junk or Trash),
 * ranked by how often and how recently, writing to someone counting three times hearing from
 * them. Built once from the journal, then kept up to date from its change feed, so a keystroke
 * at 100,000 messages only scans the distinct addresses.
 */
import type { ChangesResult, MessageRecord } from '../../../shared/changes.js';
import type { AddressSuggestion } from '../../../shared/compose.js';
import { roleKey } from '../../../shared/folders.js';

const SENT = roleKey('sent');
const OUTBOX = roleKey('outbox');
const DRAFTS = roleKey('drafts');
const JUNK = roleKey('junk');
const TRASH = roleKey('trash');
/** Wrote to: weighs this many times heard from. */
const WROTE_WEIGHT = 3;
/** A contact's weight halves for every this many days since the last message with them. */
const HALF_LIFE_DAYS = 90;
const DAY_MS = 86_400_000;

interface Entry {
  address: string;
  name: string;
  nameAt: number;
  wrote: number;
  heard: number;
  last: number;
  /** Lower-cased address and the words of the name, for prefix matching. */
  keys: string[];
}

export interface JournalFeed {
  readonly state: number;
  get(id: string): MessageRecord | undefined;
  all(): IterableIterator<MessageRecord>;
  changesSince(state: number): ChangesResult;
}

export class AddressBook {
  private entries = new Map<string, Entry>();
  private state = -1;
  /**
   * The ids of records not counted because of their folder, counted when a move files them where
   * they count: sent mail is queued in the Outbox and moved to Sent once the server took it, so
   * without this a person written to after the first query was never suggested until Popbox
   * restarted. Ids only: the record is the journal's to keep (a copy kept here would hold every
   * junk and trashed message's summary a second time once the journal replaced it).
   */
  private uncounted = new Set<string>();

  constructor(
    private readonly journal: JournalFeed,
    /** The user's own addresses, lower case (they change with the accounts). */
    private readonly own: () => ReadonlySet<string>,
    private readonly now: () => number,
  ) {}

  private add(m: MessageRecord, own: ReadonlySet<string>): void {
    // Drafts and queued mail are not yet written to anyone; junk and what was thrown away are
    // nobody the user wants suggested.
    if (m.folder === DRAFTS || m.folder === OUTBOX || m.folder === JUNK || m.folder === TRASH) {
      this.uncounted.add(m.id);
      return;
    }
    const at = m.summary.date ? Date.parse(m.summary.date) : m.receivedAt;
    const when = Number.isFinite(at) ? Math.min(at, this.now()) : m.receivedAt;
    // Written by the user: in Sent, or made here (no UIDL) from one of their addresses. Not any
    // downloaded message whose From is theirs: From is easily forged (extortion spam does it),
    // and a forged one would push its Cc (a look-alike address) up as someone they write to.
    const local = m.uidl === '';
    const mine = m.folder === SENT || (local && m.summary.from.length > 0 && m.summary.from.every((f) => own.has(f.address.toLowerCase())));
    const people = mine ? [...m.summary.to, ...m.summary.cc] : m.summary.from;
    for (const p of people) {
      const address = p.address.trim();
      if (!address.includes('@')) continue;
      const key = address.toLowerCase();
      let e = this.entries.get(key);
      if (!e) {
        e = { address, name: '', nameAt: -Infinity, wrote: 0, heard: 0, last: 0, keys: [] };
        this.entries.set(key, e);
      }
      if (mine) e.wrote++;
      else e.heard++;
      if (when > e.last) e.last = when;
      const name = p.name.trim();
      if (name && name.toLowerCase() !== key && when >= e.nameAt) {
        if (name !== e.name || e.keys.length === 0) e.keys = [key, ...name.toLowerCase().split(/[\s,.;:'"()<>[\]_-]+/).filter((w) => w)];
        e.name = name;
        e.nameAt = when;
      }
      if (e.keys.length === 0) e.keys = [key];
    }
  }

  /** The index as of the journal's state: applied from its change feed, or rebuilt. */
  private refresh(): void {
    if (this.state === this.journal.state) return;
    const own = this.own();
    if (this.state >= 0) {
      const r = this.journal.changesSince(this.state);
      if (!('cannotCalculate' in r)) {
        // Additions are counted as they come, and a message not counted where it was when it
        // is moved (the Outbox to Sent); a removal or any other move leaves the counts (a contact
        // one wrote to stays one), and the next rebuild (a restart) settles them.
        for (const c of r.changes) {
          if (c.t === 'add') this.add(c.m, own);
          else if (c.t === 'remove') this.uncounted.delete(c.id);
          else if (c.t === 'move') {
            if (!this.uncounted.delete(c.id)) continue;
            // As the journal has it now; gone from it, a removal later in this feed says so (not counted, as a rebuild would).
            const m = this.journal.get(c.id);
            if (m) this.add({ ...m, folder: c.folder }, own);
          }
        }
        this.state = r.state;
        return;
      }
    }
    this.entries = new Map();
    this.uncounted = new Set();
    this.state = this.journal.state;
    for (const m of this.journal.all()) this.add(m, own);
  }

  private score(e: Entry, now: number): number {
    const ageDays = Math.max(0, now - e.last) / DAY_MS;
    return (WROTE_WEIGHT * e.wrote + e.heard) * Math.pow(0.5, ageDays / HALF_LIFE_DAYS);
  }

  /** Whether the user has written to this address (the junk filter never calls such mail junk). */
  hasWrittenTo(address: string): boolean {
    this.refresh();
    return (this.entries.get(address.trim().toLowerCase())?.wrote ?? 0) > 0;
  }

  /** Best first; the query matches the start of the address or of a word of the name. */
  suggest(query: string, limit: number): AddressSuggestion[] {
    this.refresh();
    const q = query.trim().toLowerCase();
    const own = this.own();
    const now = this.now();
    // The best `limit` kept in order as the scan goes: no sort of every match (a one-letter query matches thousands).
    const found: { e: Entry; score: number }[] = [];
    const better = (a: { e: Entry; score: number }, b: { e: Entry; score: number }) => a.score - b.score || a.e.last - b.e.last || (a.e.address < b.e.address ? 1 : -1);
    for (const [key, e] of this.entries) {
      if (own.has(key)) continue;
      if (q && !e.keys.some((k) => k.startsWith(q)) && !(q.includes(' ') && e.name.toLowerCase().startsWith(q))) continue;
      const item = { e, score: this.score(e, now) };
      if (found.length === limit && better(item, found[limit - 1]!) <= 0) continue;
      let i = Math.min(found.length, limit - 1);
      found[i] = item;
      while (i > 0 && better(found[i]!, found[i - 1]!) > 0) {
        [found[i - 1], found[i]] = [found[i]!, found[i - 1]!];
        i--;
      }
    }
    return found.slice(0, limit).map(({ e }) => ({ name: e.name, address: e.address }));
  }
}
