/**
 * Address suggestions for To/Cc/Bcc (issue 15 §2): from stored mail, people the user wrote to
 * above people they only heard from, more often and more recently first, matched by the start
 * of the address or of a word of the name, never the user's own addresses; kept up to date as
 * mail arrives, and quick at 100,000 messages.
 */
import { describe, expect, it } from 'vitest';
import type { Change, ChangesResult, MessageRecord } from '../../shared/changes.js';
import { AddressBook, type JournalFeed } from '../../electron/core/compose/suggest.js';
import { collectGarbage } from '../support/gc.js';

const DAY = 86_400_000;
const NOW = Date.parse('2026-12-06T00:00:00Z');

let seq = 0;
function msg(folder: string, from: [string, string][], to: [string, string][], daysAgo: number, cc: [string, string][] = []): MessageRecord {
  const addr = (l: [string, string][]) => l.map(([name, address]) => ({ name, address }));
  return {
    id: `m${++seq}`,
    accountId: 'a',
    uidl: '',
    receivedAt: NOW - daysAgo * DAY,
    partial: false,
    flags: { seen: true, flagged: false },
    folder,
    summary: { subject: 's', from: addr(from), to: addr(to), cc: addr(cc), date: new Date(NOW - daysAgo * DAY).toISOString(), messageId: null, inReplyTo: null, references: [], size: 1, hasAttachments: false, snippet: '' },
  };
}

/** A journal of records with a change feed, as the real one answers. */
class FakeJournal implements JournalFeed {
  records = new Map<string, MessageRecord>();
  changes: Change[] = [];
  state = 0;
  add(...ms: MessageRecord[]) {
    for (const m of ms) {
      this.records.set(m.id, m);
      this.changes.push({ s: ++this.state, t: 'add', m });
    }
  }
  /** Filed in another folder, as the Outbox files sent mail in Sent. */
  move(id: string, folder: string) {
    this.records.set(id, { ...this.records.get(id)!, folder });
    this.changes.push({ s: ++this.state, t: 'move', id, folder });
  }
  /** Marked read: the journal holds a new record in place of the old one. */
  markSeen(id: string) {
    const flags = { seen: true, flagged: false };
    this.records.set(id, { ...this.records.get(id)!, flags });
    this.changes.push({ s: ++this.state, t: 'flags', id, flags });
  }
  remove(id: string) {
    this.records.delete(id);
    this.changes.push({ s: ++this.state, t: 'remove', id });
  }
  get(id: string) {
    return this.records.get(id);
  }
  all() {
    return this.records.values();
  }
  changesSince(state: number): ChangesResult {
    return { state: this.state, changes: this.changes.filter((c) => c.s > state) };
  }
}

const ME: [string, string] = ['Me', 'me@home.example'];
const own = () => new Set(['me@home.example', 'me@work.example']);

describe('address suggestions', () => {
  it('people written to rank above people heard from; then by how often and how recently; own addresses never', () => {
    const j = new FakeJournal();
    j.add(
      msg('Sent', [ME], [['Anna Written', 'anna@example.org']], 10),
      msg('INBOX', [['Anne Heard', 'anne@example.org']], [ME], 1),
      msg('INBOX', [['Anne Heard', 'anne@example.org']], [ME], 2),
      msg('INBOX', [['Andy Old', 'andy@example.org']], [ME], 700),
      msg('INBOX', [['Andy Old', 'andy@example.org']], [ME], 701),
      msg('INBOX', [['Me at work', 'me@work.example']], [ME], 1),
      // From one of the user's addresses but not in Sent: still the user writing.
      msg('Archive', [['Me at work', 'me@work.example']], [['Ada Cc', 'ada@example.org']], 3, [['', 'anna@example.org']]),
    );
    const book = new AddressBook(j, own, () => NOW);
    expect(book.suggest('an', 10).map((s) => s.address)).toEqual(['anna@example.org', 'anne@example.org', 'andy@example.org']);
    expect(book.suggest('', 10).map((s) => s.address)).toEqual(['anna@example.org', 'ada@example.org', 'anne@example.org', 'andy@example.org']);
    expect(book.suggest('me', 10)).toEqual([]);
  });

  it('a downloaded message with a forged From of the user does not make its recipients people the user wrote to; Junk and Trash suggest nobody', () => {
    const j = new FakeJournal();
    const forged = { ...msg('INBOX', [ME], [ME], 1, [['Bob', 'bob@examp1e.org']]), uidl: 'UID-forged' };
    j.add(
      msg('INBOX', [['Bob', 'bob@example.org']], [ME], 30),
      forged,
      { ...forged, id: 'm-forged-2', uidl: 'UID-forged-2' },
      msg('Junk', [['Bo Spammer', 'bo@spam.example']], [ME], 1),
      msg('Trash', [['Bobby Gone', 'bobby@gone.example']], [ME], 1),
    );
    const book = new AddressBook(j, own, () => NOW);
    expect(book.suggest('bo', 10).map((s) => s.address)).toEqual(['bob@example.org']);
  });

  it('matches the start of any word of the name or of the address, keeps the latest display name', () => {
    const j = new FakeJournal();
    j.add(msg('INBOX', [['Smith, John', 'jsmith@corp.example']], [ME], 30), msg('INBOX', [['John Smith (Corp)', 'JSmith@corp.example']], [ME], 1));
    const book = new AddressBook(j, own, () => NOW);
    for (const q of ['smi', 'JOHN', 'corp', 'jsm']) expect(book.suggest(q, 5)).toEqual([{ name: 'John Smith (Corp)', address: 'jsmith@corp.example' }]);
    expect(book.suggest('ohn', 5)).toEqual([]);
  });

  it('mail that arrives later is suggested at the next query (the index follows the journal)', () => {
    const j = new FakeJournal();
    j.add(msg('INBOX', [['Bea', 'bea@example.org']], [ME], 5));
    const book = new AddressBook(j, own, () => NOW);
    expect(book.suggest('b', 5).map((s) => s.address)).toEqual(['bea@example.org']);
    j.add(msg('Sent', [ME], [['Bert', 'bert@example.org']], 1));
    expect(book.suggest('b', 5).map((s) => s.address)).toEqual(['bert@example.org', 'bea@example.org']);
  });

  it('mail sent after the first query is suggested at the next: queued in the Outbox, then filed in Sent', () => {
    const j = new FakeJournal();
    j.add(msg('INBOX', [['Carol', 'carol@example.org']], [ME], 3));
    const book = new AddressBook(j, own, () => NOW);
    expect(book.suggest('b', 5)).toEqual([]);
    // Send: the message waits in the Outbox (nobody written to yet), and goes to Sent once the server took it.
    const sent = msg('Outbox', [ME], [['Bob', 'bob@example.org']], 0);
    const draft = msg('Drafts', [ME], [['Bert', 'bert@example.org']], 0);
    j.add(sent, draft);
    expect(book.suggest('b', 5)).toEqual([]);
    j.move(sent.id, 'Sent');
    expect(book.suggest('b', 5)).toEqual([{ name: 'Bob', address: 'bob@example.org' }]);
    expect(book.hasWrittenTo('bob@example.org')).toBe(true);
    // Counted once: moved on (to Trash and back) it is not counted again; a thrown-away draft never.
    j.move(sent.id, 'Trash');
    j.move(sent.id, 'Sent');
    j.remove(draft.id);
    j.add(msg('Sent', [ME], [['Bea', 'bea@example.org']], 0));
    expect(book.suggest('b', 5).map((s) => s.address)).toEqual(['bea@example.org', 'bob@example.org']);
    // The same as a book built afresh from the journal (a restart).
    expect(new AddressBook(j, own, () => NOW).suggest('b', 5)).toEqual(book.suggest('b', 5));
  });

  it('keeps no record of its own: a junk message the journal replaced (marked read) is not held, and counts as it is when moved out', async () => {
    const j = new FakeJournal();
    const junk = (() => {
      const m = msg('Junk', [['Dora', 'dora@example.org']], [ME], 1);
      j.records.set(m.id, m); // as at a start: the book is built from the journal's records
      return { id: m.id, first: new WeakRef(m) };
    })();
    j.state = 1;
    const book = new AddressBook(j, own, () => NOW);
    expect(book.suggest('d', 5)).toEqual([]);
    j.markSeen(junk.id);
    expect(book.suggest('d', 5)).toEqual([]);
    await new Promise((r) => setTimeout(r, 0)); // a WeakRef read in this turn keeps its target
    collectGarbage();
    expect(junk.first.deref()).toBeUndefined();
    // Not junk after all: heard from, as a book built afresh counts it.
    j.move(junk.id, 'INBOX');
    expect(book.suggest('d', 5)).toEqual([{ name: 'Dora', address: 'dora@example.org' }]);
    expect(new AddressBook(j, own, () => NOW).suggest('d', 5)).toEqual(book.suggest('d', 5));
  });

  it('100,000 messages: built once, then each query scans only distinct addresses (timings logged, not asserted)', () => {
    const j = new FakeJournal();
    for (let i = 0; i < 100_000; i++) {
      const p = i % 7919;
      const m = i % 10 === 0 ? msg('Sent', [ME], [[`Person ${p}`, `person${p}@example${p % 50}.org`]], i % 400) : msg('INBOX', [[`Sender ${p}`, `sender${p}@example${p % 50}.org`]], [ME], i % 400);
      j.records.set(m.id, m);
    }
    j.state = 1;
    const book = new AddressBook({ ...j, get: (id) => j.records.get(id), all: () => j.records.values(), changesSince: () => ({ state: 1, changes: [] }), state: 1 }, own, () => NOW);
    let t = performance.now();
    const first = book.suggest('per', 10);
    const build = performance.now() - t;
    t = performance.now();
    for (const q of ['s', 'se', 'sender12', 'p', 'person7', 'example3', 'zzz']) book.suggest(q, 10);
    const per = (performance.now() - t) / 7;
    console.log(`suggestAddresses at 100,000 messages: first query (builds the index) ${build.toFixed(0)} ms, then ${per.toFixed(2)} ms per query`);
    expect(first).toHaveLength(10);
    expect(first.every((s) => s.address.startsWith('person'))).toBe(true);
  }, 60_000);
});
