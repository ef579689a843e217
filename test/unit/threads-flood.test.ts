/**
 * A flooded conversation in main's thread index (issue 17 §3, review 8): anyone can send
 * thousands of replies that reference one of your messages. Deleting them (Empty Trash, Delete
 * forever, an account removed) journals one batch of removals, and the index regroups each
 * thread they leave once per batch: one regroup per message was ~30 ms each at 10,000 replies,
 * minutes of main's thread for the whole flood (measured before: 2,000 removals took 64 s).
 * The grouping after a batch equals a rebuild from what is left, as after single removals.
 */
import { describe, expect, it } from 'vitest';
import { ThreadIndex, type ThreadMessage } from '../../electron/core/threads/thread-index.js';

const T0 = Date.UTC(2026, 0, 10);

function msg(id: string, o: Partial<ThreadMessage> & { refs?: string[] } = {}): ThreadMessage {
  const { refs, ...rest } = o;
  return { id, accountId: 'a', messageId: `<${id}@example.org>`, inReplyTo: null, references: refs?.map((r) => `<${r}@example.org>`) ?? [], subject: 'Re: Invoice 42 for March', date: T0, ...rest };
}

function groups(index: ThreadIndex): string[][] {
  return [...index.all()].map((t) => [...t.ids].sort()).sort((a, b) => a[0]!.localeCompare(b[0]!));
}

function build(list: ThreadMessage[]): ThreadIndex {
  const index = new ThreadIndex();
  for (const m of list) index.add(m);
  return index;
}

describe('threads: a flood of replies', () => {
  it('10,000 replies to one message (same telling subject) removed in one batch: the original is alone again, as a rebuild says', () => {
    const original = msg('orig', { subject: 'Invoice 42 for March' });
    const flood = Array.from({ length: 10_000 }, (_, i) => msg(`f${i}`, { refs: ['orig'], date: T0 + i + 1 }));
    const index = build([original, ...flood]);
    expect(index.conversationOf('orig')).toHaveLength(10_001);
    const before = index.version;
    index.removeMany(flood.slice(0, 9_000).map((m) => m.id));
    expect(index.conversationOf('orig')).toHaveLength(1_001);
    expect(groups(index)).toEqual(groups(build([original, ...flood.slice(9_000)])));
    index.removeMany(flood.slice(9_000).map((m) => m.id));
    expect(groups(index)).toEqual([['orig']]);
    // The renderer hears that the conversation is gone (down to one message).
    expect(index.changesSince(index.epoch, before)?.threads).toEqual([]);
    expect(index.changesSince(index.epoch, before)?.gone).toContain(index.threadOf('orig'));
  });

  it('a batch that takes out the messages holding two parts together splits them, as single removals and a rebuild do', () => {
    // a ← b ← c, d by subject (no references, Re:) after a; x ← y elsewhere; e links a and x.
    const list = [
      msg('a', { subject: 'Invoice 42 for March' }),
      msg('b', { refs: ['a'], date: T0 + 1 }),
      msg('c', { refs: ['b'], date: T0 + 2 }),
      msg('d', { date: T0 + 3 }),
      msg('x', { subject: 'Other talk here', date: T0 + 4 }),
      msg('y', { refs: ['x'], subject: 'Re: Other talk here', date: T0 + 5 }),
      msg('e', { refs: ['a', 'x'], subject: 'Re: both of them', date: T0 + 6 }),
    ];
    for (const out of [['b'], ['e'], ['b', 'e'], ['a', 'e', 'y'], ['a', 'b', 'c', 'd', 'e', 'x', 'y']]) {
      const batch = build(list);
      batch.removeMany(out);
      const single = build(list);
      for (const id of out) single.remove(id);
      const rebuilt = build(list.filter((m) => !out.includes(m.id)));
      expect(groups(batch), out.join()).toEqual(groups(rebuilt));
      expect(groups(single), out.join()).toEqual(groups(rebuilt));
    }
  });
});
