/**
 * The log of what filters forwarded (<dataDir>/rules-forwarded.json) under concurrency and
 * failures: two accounts' arrivals filtered at once, a crash between recording and queueing,
 * an Outbox that fails after the forward is already queued.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { MessageRecord } from '../../shared/changes.js';
import { RuleSubject } from '../../electron/core/rules/evaluate.js';
import { forwardAll, ForwardLog, type Forwarder } from '../../electron/core/rules/forward.js';

let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-forward-log-'));
});
afterAll(() => fs.rm(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

let n = 0;
async function subject(): Promise<RuleSubject> {
  const id = `m${++n}`;
  const file = path.join(dir, `${id}.eml`);
  await fs.writeFile(file, ['From: dave@other.example', `Subject: s${n}`, '', 'body', ''].join('\r\n'));
  const m: MessageRecord = {
    id,
    accountId: 'a',
    uidl: `u${n}`,
    receivedAt: 0,
    partial: false,
    flags: { seen: false, flagged: false },
    folder: 'INBOX',
    summary: { subject: `s${n}`, from: [{ name: '', address: 'dave@other.example' }], to: [], cc: [], date: null, messageId: null, inReplyTo: null, references: [], size: 50, hasAttachments: false, snippet: '' },
  };
  return new RuleSubject(m, 'A', async () => file);
}

function forwarder(log: ForwardLog): Forwarder & { sent: string[] } {
  const sent: string[] = [];
  return {
    log,
    sent,
    send: async (m, to) => {
      sent.push(`${m.id}→${to}`);
    },
  };
}

const onDisk = async (d: string) => JSON.parse(await fs.readFile(path.join(d, 'rules-forwarded.json'), 'utf8')) as { sent: Record<string, string[]> };

describe('ForwardLog saves', () => {
  it('two records at once (two accounts): once both have resolved, both are on disk, whichever write was slower', async () => {
    const d = await fs.mkdtemp(path.join(dir, 'order-'));
    const log = new ForwardLog(d);
    await log.forwarded('warm', 'x@example.org');
    const rename = fs.rename.bind(fs);
    const readFile = fs.readFile.bind(fs);
    // The save that holds only A lands after the one that holds both (the review's /tmp/rev/fwd.mts).
    vi.spyOn(fs, 'rename').mockImplementation(async (a, b) => {
      if (String(b).endsWith('rules-forwarded.json') && !(await readFile(a, 'utf8')).includes('msg-B')) await new Promise((r) => setTimeout(r, 100));
      return rename(a, b);
    });
    const resolvedB: string[][] = [];
    await Promise.all([
      log.record('msg-A', 'bob@example.org', 'rule-a', 1),
      log.record('msg-B', 'bob@example.org', 'rule-b', 1).then(async () => resolvedB.push(Object.keys((await onDisk(d)).sent))),
    ]);
    // When record(B) resolves, B's forward is queued: B must be on disk by then.
    expect(resolvedB[0]).toContain('msg-B');
    expect(Object.keys((await onDisk(d)).sent).sort()).toEqual(['msg-A', 'msg-B']);
  });

  it('two first loads at once share one copy: neither record is lost', async () => {
    const d = await fs.mkdtemp(path.join(dir, 'load-'));
    const log = new ForwardLog(d);
    await Promise.all([log.record('msg-A', 'bob@example.org', 'r', 1), log.record('msg-B', 'bob@example.org', 'r', 1)]);
    expect(Object.keys((await onDisk(d)).sent).sort()).toEqual(['msg-A', 'msg-B']);
    expect(await log.forwarded('msg-A', 'bob@example.org')).toBe(true);
  });

  it('two runs at once (an arrival run and `rules run --forward`) forward a message to an address once', async () => {
    const d = await fs.mkdtemp(path.join(dir, 'claim-'));
    const fw = forwarder(new ForwardLog(d));
    const s = await subject();
    await Promise.all([forwardAll(fw, [{ subject: s, to: 'bob@example.org', rule: 'R' }], 1), forwardAll(fw, [{ subject: s, to: 'bob@example.org', rule: 'R' }], 1)]);
    expect(fw.sent).toEqual([`${s.record.id}→bob@example.org`]);
  });
});

describe('a forward cut short between its record and its queueing (a crash, a quit)', () => {
  it('is never sent again, and the next process learns of it: pending until queued', async () => {
    const d = await fs.mkdtemp(path.join(dir, 'pending-'));
    const s = await subject();
    const queued = await subject();
    // By message: the two runs below go at once, so which send starts first is the machine's to say.
    const outboxIds = new Map<string, string>();
    const fw: Forwarder = {
      log: new ForwardLog(d),
      send: (m, _to, _rule, outboxId) => {
        outboxIds.set(m.id, outboxId);
        // The process dies while the first forward is built: its send never ends.
        return m.id === s.record.id ? new Promise(() => {}) : Promise.resolve();
      },
    };
    void forwardAll(fw, [{ subject: s, to: 'bob@example.org', rule: 'R' }], 1);
    await forwardAll(fw, [{ subject: queued, to: 'carol@example.org', rule: 'R' }], 1);
    await vi.waitFor(() => expect(outboxIds.size).toBe(2));
    // The next process: the cut-short forward is uncertain, the queued one is not; neither goes again.
    const next = new ForwardLog(d);
    const unsettled = await next.unsettled();
    expect(unsettled.map((p) => [p.id, p.to, p.subject, p.outbox])).toEqual([[s.record.id, 'bob@example.org', s.record.summary.subject, outboxIds.get(s.record.id)]]);
    const again = forwarder(next);
    await forwardAll(again, [{ subject: s, to: 'bob@example.org', rule: 'R' }], 2);
    expect(again.sent).toEqual([]);
    // Once told, it is not told again.
    await next.settled(unsettled);
    expect(await new ForwardLog(d).unsettled()).toEqual([]);
  });
});

