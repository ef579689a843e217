/**
 * Copies of one message in a conversation (shared/thread-copies.ts): with two accounts on one
 * machine a message Alice sent Bob is stored as her Sent copy and his Inbox copy (one
 * Message-ID); a list CC'd to you downloads one message twice into one folder. The conversation
 * counts each once and shows the copy where the person reads; the thread index still groups
 * every copy (each is a file that can be moved or deleted) and incremental still equals rebuilt.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { threadLines } from '../../electron/cli/threads.js';
import { MailService } from '../../electron/core/mail-service.js';
import { MemorySecretStore } from '../../electron/core/secrets/index.js';
import type { MessageRecord } from '../../shared/changes.js';
import { oneCopyEach, type CopyPlace } from '../../shared/thread-copies.js';
import { oneRecordEach, threadMessage } from '../../electron/core/threads/journal-threads.js';
import { ThreadIndex } from '../../electron/core/threads/thread-index.js';

const c = (id: string, accountId: string, folder: string, messageId: string | null): CopyPlace => ({ id, accountId, folder, messageId });
const ids = (list: readonly CopyPlace[]) => list.map((x) => x.id);
const self = (x: CopyPlace) => x;

// Alice (account a) wrote <m1> to Bob (account b); Bob answered with <m2>.
const aliceSent = c('a-sent-m1', 'a', 'Sent', '<m1@x>');
const bobInbox = c('b-inbox-m1', 'b', 'INBOX', '<m1@x>');
const bobSent = c('b-sent-m2', 'b', 'Sent', '<m2@x>');
const aliceInbox = c('a-inbox-m2', 'a', 'INBOX', '<m2@x>');
const thread = [aliceSent, bobInbox, bobSent, aliceInbox];

describe('one copy per message', () => {
  it("Bob reading his Inbox sees his own copies: his Inbox copy of Alice's message and his Sent reply (2, not 4)", () => {
    expect(ids(oneCopyEach(thread, self, bobInbox))).toEqual(['b-inbox-m1', 'b-sent-m2']);
  });

  it("Alice reading her Inbox sees her Sent copy and her Inbox copy of Bob's reply", () => {
    expect(ids(oneCopyEach(thread, self, aliceInbox))).toEqual(['a-sent-m1', 'a-inbox-m2']);
  });

  it('the list row itself wins over another copy in the same folder (a duplicate download), and the same folder over the same account', () => {
    const dup1 = c('d1', 'b', 'INBOX', '<list@x>');
    const dup2 = c('d2', 'b', 'INBOX', '<list@x>');
    const archived = c('d3', 'b', 'Archive', '<list@x>');
    expect(ids(oneCopyEach([dup1, dup2, archived], self, dup2))).toEqual(['d2']);
    expect(ids(oneCopyEach([dup1, dup2, archived], self, { accountId: 'b', folder: 'Archive' }))).toEqual(['d3']);
    // Read from elsewhere in that account: the first of them.
    expect(ids(oneCopyEach([dup1, dup2, archived], self, { accountId: 'b', folder: 'Work' }))).toEqual(['d1']);
  });

  it("another account's copy only when the reader's account has none; without a viewpoint the first", () => {
    // Bob deleted his copy of <m1> for good: Alice's Sent copy stands for it in his conversation.
    expect(ids(oneCopyEach([aliceSent, bobSent, aliceInbox], self, bobSent))).toEqual(['a-sent-m1', 'b-sent-m2']);
    expect(ids(oneCopyEach(thread, self, null))).toEqual(['a-sent-m1', 'b-sent-m2']);
  });

  it('messages without a Message-ID are never copies of each other; order is kept', () => {
    const n1 = c('n1', 'b', 'INBOX', null);
    const n2 = c('n2', 'b', 'INBOX', null);
    expect(ids(oneCopyEach([n1, bobInbox, n2], self, bobInbox))).toEqual(['n1', 'b-inbox-m1', 'n2']);
  });

  it("a copy thrown away (Trash/Junk) loses to a kept one of the reader's account, but still beats another account's", () => {
    const trashed = c('t', 'b', 'Trash', '<m1@x>');
    const archived = c('k', 'b', 'Archive', '<m1@x>');
    const hidden = (x: CopyPlace) => x.folder === 'Trash';
    expect(ids(oneCopyEach([aliceSent, trashed, archived], self, { accountId: 'b', folder: 'INBOX' }, hidden))).toEqual(['k']);
    expect(ids(oneCopyEach([aliceSent, trashed], self, { accountId: 'b', folder: 'INBOX' }, hidden))).toEqual(['t']);
  });
});

function record(id: string, accountId: string, folder: string, messageId: string, refs: string[] = [], seen = false): MessageRecord {
  return {
    id,
    accountId,
    uidl: `u-${id}`,
    receivedAt: 1,
    partial: false,
    flags: { seen, flagged: false },
    folder,
    summary: { subject: 'Trip', from: [], to: [], cc: [], date: '2026-01-01T10:00:00Z', messageId, inReplyTo: refs.at(-1) ?? null, references: refs, size: 1, hasAttachments: false, snippet: '' },
  };
}

describe('copies in the thread index and the records', () => {
  const recs = [
    record('a-sent-m1', 'a', 'Sent', '<m1@x>', [], true),
    record('b-inbox-m1', 'b', 'INBOX', '<m1@x>'),
    record('b-sent-m2', 'b', 'Sent', '<m2@x>', ['<m1@x>'], true),
    record('a-inbox-m2', 'a', 'INBOX', '<m2@x>', ['<m1@x>']),
  ];

  it('the index keeps every copy in one thread, built in any order or incrementally, and the records count each message once', () => {
    const orders = [recs, [...recs].reverse(), [recs[2]!, recs[0]!, recs[3]!, recs[1]!]];
    const groupings = orders.map((o) => {
      const index = new ThreadIndex();
      for (const m of o) index.add(threadMessage(m));
      return [...index.all()].map((t) => [...t.ids].sort());
    });
    expect(groupings[0]).toEqual([['a-inbox-m2', 'a-sent-m1', 'b-inbox-m1', 'b-sent-m2']]);
    expect(groupings[1]).toEqual(groupings[0]);
    expect(groupings[2]).toEqual(groupings[0]);

    const bob = oneRecordEach(recs, { id: 'b-inbox-m1', accountId: 'b', folder: 'INBOX' });
    expect(bob.map((m) => m.id)).toEqual(['b-inbox-m1', 'b-sent-m2']);
    expect(bob.filter((m) => !m.flags.seen)).toHaveLength(1);
    // Removing one copy leaves the other copy in the thread; removing both leaves the reply alone.
    const index = new ThreadIndex();
    for (const m of recs) index.add(threadMessage(m));
    index.remove('a-sent-m1');
    expect(index.conversationOf('b-inbox-m1').sort()).toEqual(['a-inbox-m2', 'b-inbox-m1', 'b-sent-m2']);
  });

  it("Bob's copy in Trash answers for his account (he threw it away), not Alice's Sent copy", () => {
    const trashed = { ...recs[1]!, id: 'b-trash-m1', folder: 'Trash' };
    const chosen = oneRecordEach([recs[0]!, trashed, recs[2]!], { accountId: 'b', folder: 'INBOX' });
    expect(chosen.map((m) => m.id)).toEqual(['b-trash-m1', 'b-sent-m2']);
  });
});

describe('popbox threads', () => {
  it("counts each message once: Bob's listing names his copies, the whole listing the first of each", async () => {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-thread-copies-'));
    const service = await MailService.open({ dataDir, secrets: new MemorySecretStore() });
    try {
      await service.journal.append([
        record('a-sent-m1', 'a', 'Sent', '<m1@x>', [], true),
        record('b-inbox-m1', 'b', 'INBOX', '<m1@x>'),
        record('b-sent-m2', 'b', 'Sent', '<m2@x>', ['<m1@x>'], true),
        record('a-inbox-m2', 'a', 'INBOX', '<m2@x>', ['<m1@x>']),
      ].map((m) => ({ t: 'add' as const, m })));
      const bob = threadLines(service, (m) => m.accountId === 'b');
      expect(bob).toHaveLength(1);
      expect(bob[0]).toMatchObject({ count: 2, unread: 1, messages: ['b-inbox-m1', 'b-sent-m2'], folders: ['Inbox', 'Sent'] });
      // All dated alike here, so oldest first is by id: the first copy of each is Alice's.
      expect(threadLines(service, null)[0]).toMatchObject({ count: 2, unread: 1, messages: ['a-inbox-m2', 'a-sent-m1'] });
    } finally {
      await service.close();
      await fs.rm(dataDir, { recursive: true, force: true });
    }
  });
});
