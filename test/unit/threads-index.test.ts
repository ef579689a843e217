import { describe, expect, it } from 'vitest';
import { SUBJECT_WINDOW_MS, ThreadIndex, subjectKeyOf, threadIdFor, type ThreadMessage } from '../../electron/core/threads/thread-index.js';
import { baseSubject } from '../../electron/core/compose/subject.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 10);

function msg(id: string, o: Partial<ThreadMessage> & { refs?: string[] } = {}): ThreadMessage {
  const { refs, ...rest } = o;
  return {
    id,
    accountId: 'a',
    messageId: `<${id}@example.org>`,
    inReplyTo: null,
    references: refs?.map((r) => `<${r}@example.org>`) ?? [],
    subject: `subject of ${id}`,
    date: T0,
    ...rest,
  };
}

/** The grouping as sorted lists of ids (what a user sees as conversations). */
function groups(index: ThreadIndex): string[][] {
  return [...index.all()].map((t) => [...t.ids].sort()).sort((a, b) => a[0]!.localeCompare(b[0]!));
}

describe('threads: references (JWZ id table)', () => {
  it('a reply chain is one thread, oldest first, whose id does not change as replies arrive', () => {
    const index = new ThreadIndex();
    index.add(msg('a'));
    const id = index.threadOf('a');
    index.add(msg('b', { refs: ['a'], date: T0 + 1000 }));
    index.add(msg('c', { refs: ['a', 'b'], date: T0 + 2000 }));
    expect(index.threadOf('b')).toBe(id);
    expect(index.threadOf('c')).toBe(id);
    expect(index.members(id!)).toEqual(['a', 'b', 'c']);
    expect(id).toBe(threadIdFor('<a@example.org>'));
  });

  it('In-Reply-To alone links a reply (old mailers send no References)', () => {
    const index = new ThreadIndex();
    index.add(msg('a'));
    index.add(msg('b', { inReplyTo: '<a@example.org>', date: T0 + 1 }));
    expect(index.threadOf('b')).toBe(index.threadOf('a'));
  });

  it('missing parents: replies to a message not here share a thread, which keeps its id when the original arrives', () => {
    const index = new ThreadIndex();
    index.add(msg('b', { refs: ['a'], date: T0 + 10 }));
    index.add(msg('c', { refs: ['a', 'x'], date: T0 + 20 })); // x: a missing message between them
    index.add(msg('d', { refs: ['a', 'x', 'c'], date: T0 + 30 }));
    const id = index.threadOf('b');
    expect(groups(index)).toEqual([['b', 'c', 'd']]);
    index.add(msg('a', { date: T0 }));
    expect(index.threadOf('a')).toBe(id);
    expect(index.members(id!)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('loops in References (a → b → a, and a message referencing itself) end in one thread, not a hang', () => {
    const index = new ThreadIndex();
    index.add(msg('a', { refs: ['b', 'a'] }));
    index.add(msg('b', { refs: ['a', 'b', 'a'], date: T0 + 1 }));
    index.add(msg('c', { refs: ['c'], date: T0 + 2 }));
    expect(groups(index)).toEqual([['a', 'b'], ['c']]);
    index.remove('a');
    expect(groups(index)).toEqual([['b'], ['c']]);
  });

  it('duplicate Message-IDs (a copy in another folder, one own message back from a list) share the thread', () => {
    const index = new ThreadIndex();
    index.add(msg('a'));
    index.add({ ...msg('a2'), messageId: '<a@example.org>' });
    index.add(msg('r', { refs: ['a'], date: T0 + 5 }));
    expect(groups(index)).toEqual([['a', 'a2', 'r']]);
    index.remove('a');
    expect(groups(index)).toEqual([['a2', 'r']]);
  });

  it('messages without a Message-ID stay apart unless something links them', () => {
    const index = new ThreadIndex();
    index.add({ ...msg('x'), messageId: null });
    index.add({ ...msg('y'), messageId: null });
    expect(groups(index)).toEqual([['x'], ['y']]);
  });

  it('removing the message that held two parts together splits the thread again', () => {
    const index = new ThreadIndex();
    index.add(msg('a'));
    index.add(msg('c', { refs: ['b'], date: T0 + 2 }));
    expect(groups(index)).toEqual([['a'], ['c']]);
    index.add(msg('b', { refs: ['a'], date: T0 + 1 }));
    expect(groups(index)).toEqual([['a', 'b', 'c']]);
    index.remove('b');
    // c still references b's container, which no longer links to a.
    expect(groups(index)).toEqual([['a'], ['c']]);
  });

  it('threads span folders and accounts: a Message-ID names one message everywhere', () => {
    const index = new ThreadIndex();
    index.add(msg('a', { accountId: 'home' }));
    index.add(msg('sent-reply', { accountId: 'work', refs: ['a'], date: T0 + 1 }));
    expect(index.threadOf('sent-reply')).toBe(index.threadOf('a'));
  });
});

describe('threads: the subject fallback', () => {
  it('strips prefixes and list tags the way replies write them, and refuses short or generic subjects', () => {
    expect(baseSubject('[SAtalk] Re: RE: Fwd: [SAtalk] Bayes and spam')).toBe('Bayes and spam');
    expect(subjectKeyOf('Re: AW: Lunch on Friday')).toBe('lunch on friday');
    expect(subjectKeyOf('Re: hi')).toBeNull();
    expect(subjectKeyOf('Re:')).toBeNull();
    expect(subjectKeyOf('')).toBeNull();
    expect(subjectKeyOf('Re: Thank you')).toBeNull();
    expect(subjectKeyOf('Re: Spamassassin')).toBeNull();
  });

  it('subject-only siblings: two replies without references to an original not here are one thread', () => {
    const index = new ThreadIndex();
    index.add(msg('r1', { subject: 'Re: Lunch on Friday', date: T0 }));
    index.add(msg('r2', { subject: 'RE: lunch on  friday', date: T0 + DAY }));
    expect(groups(index)).toEqual([['r1', 'r2']]);
  });

  it('a reply without references joins the earlier thread with its subject (and the original arriving later is joined too)', () => {
    const index = new ThreadIndex();
    index.add(msg('orphan', { subject: 'Re: [team] Budget for 2026', date: T0 + 2 * DAY }));
    index.add(msg('root', { subject: '[team] Budget for 2026', date: T0 }));
    index.add(msg('reply', { subject: 'Re: [team] Budget for 2026', refs: ['root'], date: T0 + DAY }));
    expect(groups(index)).toEqual([['orphan', 'reply', 'root']]);
    expect(index.threadOf('orphan')).toBe(threadIdFor('<root@example.org>'));
  });

  it('never joins: short or empty subjects, no Re:, other accounts, replies with references, or outside the window', () => {
    const index = new ThreadIndex();
    index.add(msg('a', { subject: 'Re: hi' }));
    index.add(msg('b', { subject: 'Re: hi', date: T0 + 1 }));
    index.add(msg('c', { subject: '', date: T0 }));
    index.add(msg('d', { subject: 'Re:', date: T0 + 1 }));
    index.add(msg('e', { subject: 'Weekly report for March', date: T0 }));
    index.add(msg('f', { subject: 'Weekly report for March', date: T0 + DAY })); // neither says Re:
    index.add(msg('g', { subject: 'Re: Weekly report for March', accountId: 'other', date: T0 + DAY }));
    index.add(msg('h', { subject: 'Re: Weekly report for March', refs: ['elsewhere'], date: T0 + DAY }));
    index.add(msg('i', { subject: 'Re: Weekly report for March', date: T0 + SUBJECT_WINDOW_MS + 2 * DAY }));
    index.add(msg('j', { subject: 'Re: Weekly report for March', date: T0 - DAY })); // before every other
    expect(groups(index)).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'].map((id) => [id]));
  });
});

/** A small deterministic PRNG, so a failing sequence can be replayed. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('threads: kept message by message equals rebuilt from scratch', () => {
  it('after random adds, replacements and removals, in any order, the threads and their ids are the same', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const rnd = prng(seed);
      const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)]!;
      const live = new Map<string, ThreadMessage>();
      const index = new ThreadIndex();
      const subjects = ['Re: Lunch on Friday', 'Lunch on Friday', 'Re: hi', 'Budget meeting notes', 'Re: Budget meeting notes', ''];
      for (let step = 0; step < 200; step++) {
        const ids = [...live.keys()];
        if (ids.length > 5 && rnd() < 0.3) {
          const id = pick(ids);
          live.delete(id);
          index.remove(id);
          continue;
        }
        const id = ids.length > 0 && rnd() < 0.1 ? pick(ids) : `m${step}`;
        const refs = ids.length > 0 && rnd() < 0.6 ? Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => (rnd() < 0.3 ? `missing${Math.floor(rnd() * 10)}` : pick(ids))) : [];
        const m = msg(id, {
          refs,
          subject: pick(subjects),
          date: T0 + Math.floor(rnd() * 60) * DAY,
          accountId: rnd() < 0.2 ? 'b' : 'a',
          ...(rnd() < 0.1 ? { messageId: null } : rnd() < 0.1 ? { messageId: `<${pick(ids.length ? ids : ['x'])}@example.org>` } : {}),
        });
        live.set(id, m);
        index.add(m);
      }
      const fresh = new ThreadIndex();
      for (const m of [...live.values()].reverse()) fresh.add(m);
      const norm = (i: ThreadIndex) => [...i.all()].map((t) => `${t.id}:${[...t.ids].sort().join(',')}`).sort();
      expect(norm(index), `seed ${seed}`).toEqual(norm(fresh));
    }
  });
});

describe('threads: what changed since a version', () => {
  it('names changed conversations with their whole membership and ids gone by merges', () => {
    const index = new ThreadIndex();
    index.add(msg('a'));
    index.add(msg('c', { refs: ['b'], date: T0 + 2 }));
    const v = index.version;
    expect(index.changesSince(index.epoch, v)).toEqual({ threads: [], gone: [] });
    const [ta, tc] = [index.threadOf('a')!, index.threadOf('c')!];
    index.add(msg('b', { refs: ['a'], date: T0 + 1 }));
    const changes = index.changesSince(index.epoch, v)!;
    expect(changes.threads).toEqual([{ id: ta, ids: ['a', 'b', 'c'] }]);
    expect(changes.gone).toEqual([tc]);
    // Down to one message: no longer a conversation.
    const v2 = index.version;
    index.remove('b');
    index.remove('c');
    expect(index.changesSince(index.epoch, v2)!.gone).toContain(ta);
    expect(index.changesSince('another-epoch', 0)).toBeNull();
    expect(index.conversations()).toEqual([]);
  });
});

describe('threads: the ids a reply names', () => {
  it('In-Reply-To: the id after the sender’s address (exmh), the id before a comment, never a bare address', async () => {
    const { inReplyToId, messageIds } = await import('../../electron/core/mime/headers.js');
    expect(inReplyToId('Message from Ann <ann@example.org> of "Thu, 29 Aug 2002 03:58:03 EDT." <200208290358.x@example.org>')).toBe('<200208290358.x@example.org>');
    expect(inReplyToId('<87znv5.fsf@maya.example.org> (Gary <gary@example.org>\'s message of "29 Aug 2002")')).toBe('<87znv5.fsf@maya.example.org>');
    expect(inReplyToId('rah@example.org\'s message of "Wed, 21 Aug 2002 10:00:00 -0400"')).toBeNull();
    expect(inReplyToId('Your message of "Mon, 26 Aug 2002 13:00:41 EDT."')).toBeNull();
    expect(messageIds('bare.id@host.example')).toEqual(['<bare.id@host.example>']);
  });
});
