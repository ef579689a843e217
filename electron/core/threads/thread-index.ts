/**
 * Conversations (issue 17 §3): which stored messages belong together, after JWZ's threading
 * (https://www.jwz.org/doc/threading.html), written for an index that changes one message at
 * a time.
 *
 * JWZ's id table holds a container per Message-ID, whether or not its message is here (a
 * missing parent is an empty container); References and In-Reply-To link the containers. Here
 * a thread is every container those links connect, and every message in them: the same
 * grouping notmuch makes. Unlike JWZ's first-link-wins rule it does not depend on the order
 * messages arrived in, so the index kept up message by message equals one rebuilt from scratch,
 * and a loop in References (a → b → a) is just two links between the same containers. Two
 * messages with one Message-ID (a copy, or one's own message back from a list) share a container.
 *
 * The subject is a careful fallback (JWZ step 5): only a message with no References and no
 * In-Reply-To whose subject says "Re:"/"Fwd:" joins, and only a message of the same account
 * with the same subject once prefixes and list tags are off, dated before it and less than
 * SUBJECT_WINDOW_MS before it; subjects too short or generic to say anything never join.
 *
 * Threads span folders (a reply in Sent joins its thread) and accounts: a Message-ID names one
 * message everywhere, so a reply written from another account (a family's shared mailbox and
 * one's own) belongs to the same conversation. The subject fallback stays inside one account,
 * where a shared subject is much more likely to mean the same conversation.
 *
 * A thread's id is derived from its messages (a hash of the earliest one's first reference, or
 * of its own Message-ID when it references nothing), so it is the same after a rebuild and does
 * not change when a reply arrives, nor when the missing original turns up; only a merge of two
 * threads (or a split, when the message joining them goes) gives one of them another id.
 */
import { createHash, randomBytes } from 'node:crypto';
import { baseSubject, saysReplyOrForward } from '../compose/subject.js';

/** What threading reads from a message: its summary's ids and subject, its account, its date. */
export interface ThreadMessage {
  id: string;
  accountId: string;
  messageId: string | null;
  inReplyTo: string | null;
  references: readonly string[];
  subject: string;
  /** ms since epoch: the Date header, else when it was downloaded. */
  date: number;
}

/** How long after a message a reply without references may still join it by subject. */
export const SUBJECT_WINDOW_MS = 30 * 86_400_000;

/** Subjects that say nothing about which conversation a message is in. */
const GENERIC_SUBJECTS = new Set(['no subject', '(no subject)', 'hello there', 'hi there', 'thank you', 'thanks again', 'quick question', 'good morning', 'your order', 'follow up', 'one more thing']);

/** The base subject a message may be joined by (lower case), or null when it is too short or generic. */
export function subjectKeyOf(subject: string): string | null {
  const base = baseSubject(subject).toLowerCase();
  const words = base.split(' ').filter((w) => /[\p{L}\p{N}]/u.test(w));
  // Two words and eight characters ("lunch friday?") or one long word in a script without spaces.
  const telling = (words.length >= 2 && base.length >= 8) || base.length >= 16;
  return telling && !GENERIC_SUBJECTS.has(base) ? base : null;
}

interface Entry {
  m: ThreadMessage;
  /** Its own key first (the Message-ID, or one made from its Popbox id), then those it references. */
  keys: string[];
  /** What its thread is named after when it is the earliest message: its first reference, else its own key. */
  anchor: string;
  /** Account and base subject, when the subject can join anything. */
  subjectKey: string | null;
  /** No references at all and a "Re:"/"Fwd:" subject: it may join an earlier message by subject. */
  seeks: boolean;
  thread: Thread;
}

interface Thread {
  /** The anchor it is named after ('' until named); its id is a hash of it, made when asked. */
  anchor: string;
  hashed?: { anchor: string; id: string };
  members: Set<Entry>;
  earliest: Entry;
}

/** The thread's id (hashing is the dear part of naming, so it waits until someone asks). */
function idOf(t: Thread): string {
  if (t.hashed?.anchor !== t.anchor) t.hashed = { anchor: t.anchor, id: threadIdFor(t.anchor) };
  return t.hashed.id;
}

/** A conversation of two or more messages, as the contract carries it. */
export interface ThreadGroup {
  id: string;
  /** Popbox message ids, oldest first. */
  ids: string[];
}

const before = (a: Entry, b: Entry): boolean => a.m.date < b.m.date || (a.m.date === b.m.date && a.m.id < b.m.id);

export function threadIdFor(anchor: string): string {
  return createHash('sha256').update(anchor, 'utf8').digest('hex').slice(0, 16);
}

function entryFor(m: ThreadMessage, subjectFallback: boolean): Omit<Entry, 'thread'> {
  // A message without a Message-ID gets a key no real one can have (those are in <>).
  const own = m.messageId ?? `popbox:${m.id}`;
  const refs = [...new Set([...m.references, ...(m.inReplyTo ? [m.inReplyTo] : [])])].filter((k) => k !== own);
  const subject = subjectFallback ? subjectKeyOf(m.subject) : null;
  return {
    m,
    keys: [own, ...refs],
    anchor: refs[0] ?? own,
    subjectKey: subject === null ? null : `${m.accountId}\u0000${subject}`,
    seeks: refs.length === 0 && subject !== null && saysReplyOrForward(m.subject),
  };
}

/** Whether the subject fallback joins a and b (same subject key is checked by the caller). */
function joinedBySubject(a: Omit<Entry, 'thread'>, b: Omit<Entry, 'thread'>): boolean {
  const after = (x: Omit<Entry, 'thread'>, y: Omit<Entry, 'thread'>) => x.seeks && y.m.date <= x.m.date && x.m.date - y.m.date <= SUBJECT_WINDOW_MS;
  return after(a, b) || after(b, a);
}

export class ThreadIndex {
  private readonly entries = new Map<string, Entry>();
  private readonly keyThread = new Map<string, Thread>();
  private readonly bySubject = new Map<string, Set<Entry>>();
  /** By anchor. */
  private readonly threads = new Map<string, Thread>();
  /** Bumped by every change of any thread's membership or id. */
  version = 0;
  /** This index's life: versions of another epoch mean nothing here. */
  readonly epoch = randomBytes(6).toString('hex');
  private readonly changedAt = new Map<string, number>();
  private readonly goneAt = new Map<string, number>();
  /** `subjectFallback: false`: references only (the benchmark compares both with notmuch, which has no fallback). */
  private readonly subjectFallback: boolean;

  constructor(opts: { subjectFallback?: boolean } = {}) {
    this.subjectFallback = opts.subjectFallback ?? true;
  }

  get size(): number {
    return this.entries.size;
  }

  has(id: string): boolean {
    return this.entries.has(id);
  }

  /** The thread of a message (a conversation of its own has an id too). */
  threadOf(id: string): string | undefined {
    const e = this.entries.get(id);
    return e && idOf(e.thread);
  }

  /** A thread's messages, oldest first. */
  members(threadId: string): string[] {
    for (const t of this.threads.values()) if (idOf(t) === threadId) return sortedIds(t);
    return [];
  }

  /** The messages in the same thread as message `id` (itself included), oldest first. */
  conversationOf(id: string): string[] {
    const e = this.entries.get(id);
    return e ? sortedIds(e.thread) : [];
  }

  /** Every thread, conversations of one message included. */
  *all(): IterableIterator<ThreadGroup> {
    for (const t of this.threads.values()) yield { id: idOf(t), ids: sortedIds(t) };
  }

  /** Add a message, or replace it (a headers-only message whose rest came). */
  add(m: ThreadMessage): void {
    const old = this.entries.get(m.id);
    if (old) {
      if (sameThreading(old.m, m)) {
        old.m = m;
        return;
      }
      this.remove(m.id);
    }
    const base = entryFor(m, this.subjectFallback);
    const joined = new Set<Thread>();
    for (const k of base.keys) {
      const t = this.keyThread.get(k);
      if (t) joined.add(t);
    }
    if (base.subjectKey !== null) {
      for (const o of this.bySubject.get(base.subjectKey) ?? []) if (joinedBySubject(base, o)) joined.add(o.thread);
    }
    this.version++;
    let target: Thread | null = null;
    for (const t of joined) if (!target || t.members.size > target.members.size) target = t;
    const e = base as Entry;
    if (!target) {
      e.thread = target = { anchor: '', members: new Set([e]), earliest: e };
    } else {
      for (const t of joined) if (t !== target) this.absorb(target, t);
      e.thread = target;
      target.members.add(e);
      if (before(e, target.earliest)) target.earliest = e;
    }
    for (const k of e.keys) this.keyThread.set(k, target);
    this.entries.set(m.id, e);
    if (e.subjectKey !== null) {
      let set = this.bySubject.get(e.subjectKey);
      if (!set) this.bySubject.set(e.subjectKey, (set = new Set()));
      set.add(e);
    }
    this.name(target);
  }

  /** Take a message out; its thread is grouped again (the message may have held two parts together). */
  remove(id: string): void {
    this.removeMany([id]);
  }

  /**
   * Take messages out, grouping each thread they were in again once: deleting a conversation
   * flooded with 10,000 replies regroups it once per journal batch, not once per message
   * (which took ~30 ms a message, minutes of main's thread, before).
   */
  removeMany(ids: Iterable<string>): void {
    const touched = new Set<Thread>();
    for (const id of ids) {
      const e = this.entries.get(id);
      if (!e) continue;
      this.version++;
      this.entries.delete(id);
      if (e.subjectKey !== null) {
        const set = this.bySubject.get(e.subjectKey);
        set?.delete(e);
        if (set?.size === 0) this.bySubject.delete(e.subjectKey);
      }
      for (const k of e.keys) if (this.keyThread.get(k) === e.thread) this.keyThread.delete(k);
      e.thread.members.delete(e);
      touched.add(e.thread);
    }
    for (const old of touched) {
      if (this.threads.get(old.anchor) === old) this.threads.delete(old.anchor);
      const named = new Set<string>();
      for (const t of regroup([...old.members])) {
        for (const member of t.members) for (const k of member.keys) this.keyThread.set(k, t);
        this.name(t);
        named.add(t.anchor);
      }
      if (!named.has(old.anchor)) this.gone(old.anchor);
    }
  }

  /**
   * Threads changed after `version` (their whole membership, conversations of two or more) and
   * ids gone (merged, emptied, or down to one message); null when `version` is not of this
   * index's life: take all().
   */
  changesSince(epoch: string, version: number): { threads: ThreadGroup[]; gone: string[] } | null {
    if (epoch !== this.epoch || version > this.version) return null;
    const threads: ThreadGroup[] = [];
    const gone: string[] = [];
    for (const [anchor, at] of this.changedAt) {
      if (at <= version) continue;
      const t = this.threads.get(anchor);
      if (t && t.members.size > 1) threads.push({ id: idOf(t), ids: sortedIds(t) });
      else gone.push(threadIdFor(anchor));
    }
    for (const [anchor, at] of this.goneAt) if (at > version) gone.push(threadIdFor(anchor));
    return { threads, gone };
  }

  /** Conversations of two or more messages. */
  conversations(): ThreadGroup[] {
    const out: ThreadGroup[] = [];
    for (const t of this.threads.values()) if (t.members.size > 1) out.push({ id: idOf(t), ids: sortedIds(t) });
    return out;
  }

  private absorb(into: Thread, from: Thread): void {
    for (const e of from.members) {
      e.thread = into;
      into.members.add(e);
      if (before(e, into.earliest)) into.earliest = e;
    }
    for (const e of from.members) for (const k of e.keys) this.keyThread.set(k, into);
    this.threads.delete(from.anchor);
    this.gone(from.anchor);
  }

  /** Give a thread its id (from its earliest message) and record the change. */
  private name(t: Thread): void {
    const anchor = t.earliest.anchor;
    if (t.anchor && t.anchor !== anchor && this.threads.get(t.anchor) === t) {
      this.threads.delete(t.anchor);
      this.gone(t.anchor);
    }
    t.anchor = anchor;
    this.threads.set(anchor, t);
    this.goneAt.delete(anchor);
    this.changedAt.set(anchor, this.version);
  }

  private gone(anchor: string): void {
    if (this.threads.has(anchor)) return;
    this.changedAt.delete(anchor);
    this.goneAt.set(anchor, this.version);
  }
}

function sortedIds(t: Thread): string[] {
  return [...t.members].sort((a, b) => (before(a, b) ? -1 : before(b, a) ? 1 : 0)).map((e) => e.m.id);
}

function sameThreading(a: ThreadMessage, b: ThreadMessage): boolean {
  return (
    a.accountId === b.accountId &&
    a.messageId === b.messageId &&
    a.inReplyTo === b.inReplyTo &&
    a.subject === b.subject &&
    a.date === b.date &&
    a.references.length === b.references.length &&
    a.references.every((r, i) => r === b.references[i])
  );
}

/** The threads a set of messages forms on its own (after one of them left): union-find over keys and subjects. */
function regroup(entries: Entry[]): Thread[] {
  const parent = entries.map((_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]!]!;
    return i;
  };
  const union = (a: number, b: number) => {
    const ra = find(a);
    const rb = find(b);
    if (ra !== rb) parent[ra] = rb;
  };
  const byKey = new Map<string, number>();
  // Per subject: every entry, and those that seek (only a seeker joins by subject, so an entry
  // that does not seek is compared with the seekers alone: 10,000 replies with references and
  // one subject regroup in linear time, not 50 million comparisons).
  const bySubject = new Map<string, { all: number[]; seekers: number[] }>();
  entries.forEach((e, i) => {
    for (const k of e.keys) {
      const j = byKey.get(k);
      if (j === undefined) byKey.set(k, i);
      else union(i, j);
    }
    if (e.subjectKey !== null) {
      let lists = bySubject.get(e.subjectKey);
      if (!lists) bySubject.set(e.subjectKey, (lists = { all: [], seekers: [] }));
      for (const j of e.seeks ? lists.all : lists.seekers) if (joinedBySubject(e, entries[j]!)) union(i, j);
      lists.all.push(i);
      if (e.seeks) lists.seekers.push(i);
    }
  });
  const out = new Map<number, Thread>();
  entries.forEach((e, i) => {
    const r = find(i);
    let t = out.get(r);
    if (!t) out.set(r, (t = { anchor: '', members: new Set(), earliest: e }));
    t.members.add(e);
    if (before(e, t.earliest)) t.earliest = e;
    e.thread = t;
  });
  return [...out.values()];
}
