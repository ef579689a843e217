/**
 * `npm run bench:threads`: Popbox's conversations against notmuch's thread grouping on the
 * SpamAssassin corpus's mailing-list mail (issue 17 §4). Prints how many threads are equal,
 * and each cluster of messages grouped differently with why (threads-compare.ts). Nothing
 * here is a timed assertion; the seconds are printed for orientation only.
 *
 * BENCH_THREADS_LIMIT=N takes at most N list messages of each corpus group;
 * BENCH_THREADS_SHOW=N prints up to N examples of each kind of difference (default 3).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { MessageSummary } from '../../shared/messages.js';
import { compare, describeMessage, listMail, notmuchThreads, popboxThreads, writeMaildir, type Difference } from './threads-compare.js';

const limit = Number(process.env.BENCH_THREADS_LIMIT ?? Infinity);
const show = Number(process.env.BENCH_THREADS_SHOW ?? 3);

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'popbox-threads-bench-'));
try {
  const { files, total } = listMail(limit);
  const dir = path.join(work, 'Maildir');
  writeMaildir(dir, files);
  const notmuch = notmuchThreads(dir, work);
  const popbox = await popboxThreads(dir, files);
  const result = compare(
    files.map((f) => f.name),
    popbox,
    notmuch.threadOf,
  );
  const byReason = new Map<string, Difference[]>();
  for (const d of result.differences) byReason.set(d.reason, [...(byReason.get(d.reason) ?? []), d]);
  const conversations = (groups: string[][]) => groups.filter((g) => g.length > 1).length;
  console.log(`Threads on the SpamAssassin corpus's mailing-list mail: ${result.messages} of ${total} ham messages (easy-ham-1, easy-ham-2, hard-ham-1) carry list headers`);
  console.log(`  notmuch ${execVersion()}: ${result.notmuchThreads} threads; Popbox: ${result.popboxThreads} threads`);
  console.log(`  equal threads: ${result.equal} (${result.equalConversations} of them conversations of 2+), holding ${result.messagesAgreeing} of ${result.messages} messages (${((100 * result.messagesAgreeing) / result.messages).toFixed(1)}%)`);
  console.log(`  clusters grouped differently: ${result.differences.length}`);
  for (const [reason, list] of byReason) {
    const messages = list.reduce((n, d) => n + d.popbox.flat().length, 0);
    console.log(`    ${reason}: ${list.length} clusters, ${messages} messages (Popbox ${list.reduce((n, d) => n + d.popbox.length, 0)} threads, notmuch ${list.reduce((n, d) => n + d.notmuch.length, 0)})`);
  }
  const plain = compare(
    files.map((f) => f.name),
    { ...popbox, threadOf: popbox.refsOnly },
    notmuch.threadOf,
  );
  console.log(`  with references alone (no subject fallback): equal threads ${plain.equal}, holding ${plain.messagesAgreeing} of ${plain.messages} messages (${((100 * plain.messagesAgreeing) / plain.messages).toFixed(1)}%)`);
  for (const [reason, list] of byReason) {
    console.log(`\n  ${reason}, examples:`);
    for (const d of list.slice(0, show)) {
      console.log(`    Popbox ${d.popbox.length} thread(s) [${d.popbox.map((g) => g.length).join(', ')}], notmuch ${d.notmuch.length} [${d.notmuch.map((g) => g.length).join(', ')}]`);
      if (reason === 'references read differently') console.log(`      ids linking notmuch's threads in Popbox: ${bridges(d.notmuch, popbox.summaries).join(' ') || '(none: notmuch links more)'}`);
      for (const name of d.popbox.flat().slice(0, 6)) console.log(`      ${describeMessage(name, popbox.summaries.get(name)!)}`);
    }
  }
  console.log(`\n  (for orientation: notmuch new ${notmuch.seconds.toFixed(2)} s; Popbox summaries + threads ${popbox.seconds.toFixed(2)} s; conversations of 2+: notmuch ${conversations(groupsFrom(notmuch.threadOf))}, Popbox ${conversations(groupsFrom(popbox.threadOf))})`);
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}

/** Ids that messages of different notmuch threads share in Popbox's reading (what joins them here). */
function bridges(groups: string[][], summaries: Map<string, MessageSummary>): string[] {
  const owner = new Map<string, number>();
  const out = new Set<string>();
  groups.forEach((g, i) => {
    for (const name of g) {
      const s = summaries.get(name)!;
      for (const k of [s.messageId, s.inReplyTo, ...s.references]) {
        if (!k) continue;
        const o = owner.get(k);
        if (o === undefined) owner.set(k, i);
        else if (o !== i) out.add(k);
      }
    }
  });
  return [...out].slice(0, 8);
}

function groupsFrom<K>(threadOf: Map<string, K>): string[][] {
  const by = new Map<K, string[]>();
  for (const [n, k] of threadOf) by.set(k, [...(by.get(k) ?? []), n]);
  return [...by.values()];
}

function execVersion(): string {
  try {
    return String(execFileSync('notmuch', ['--version'])).trim().replace(/^notmuch /, '');
  } catch {
    return '';
  }
}
