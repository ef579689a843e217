/**
 * A filter's forward, without servers: the words the CLI reads and writes, the per-rule hourly
 * cap, and the log that keeps a message from going twice to one address across runs and
 * restarts (recorded before the send; taken back only when the send could not be queued).
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MessageRecord } from '../../shared/changes.js';
import { RuleSubject } from '../../electron/core/rules/evaluate.js';
import { forwardAll, ForwardLog, type Forwarder } from '../../electron/core/rules/forward.js';
import { describeAction, parseAction } from '../../electron/core/rules/rule-text.js';

let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-forward-unit-'));
});
afterAll(() => fs.rm(dir, { recursive: true, force: true }));

let n = 0;
async function subject(headers: string[] = []): Promise<RuleSubject> {
  const id = `m${++n}`;
  const file = path.join(dir, `${id}.eml`);
  await fs.writeFile(file, [`From: dave@other.example`, `Subject: s${n}`, ...headers, '', 'body', ''].join('\r\n'));
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

describe('forward in words', () => {
  it('reads "forward ADDRESS" (and "forward to ADDRESS") and writes it back; refuses no address or a list', () => {
    expect(parseAction('forward bob@example.org')).toEqual({ t: 'forward', to: 'bob@example.org' });
    expect(parseAction('forward to bob@example.org')).toEqual({ t: 'forward', to: 'bob@example.org' });
    expect(describeAction(parseAction('forward bob@example.org'))).toBe('forward bob@example.org');
    expect(() => parseAction('forward')).toThrow('needs one address');
    expect(() => parseAction('forward a@b.example c@d.example')).toThrow('is not one');
    expect(() => parseAction('forward Bob <bob@example.org>')).toThrow('is not one');
  });
});

describe('forwardAll', () => {
  function forwarder(log: ForwardLog, fail = false): Forwarder & { sent: string[] } {
    const sent: string[] = [];
    return {
      log,
      cap: 2,
      sent,
      send: async (m, to) => {
        if (fail) throw new Error('the Outbox is full');
        sent.push(`${m.id}→${to}`);
      },
    };
  }

  it('at most the cap per rule per hour; the rest are said, and go in a later hour', async () => {
    const log = new ForwardLog(path.join(dir, 'cap'));
    await fs.mkdir(path.join(dir, 'cap'));
    const fw = forwarder(log);
    const subjects = await Promise.all([subject(), subject(), subject()]);
    const other = await subject();
    const t0 = Date.UTC(2026, 11, 6, 7);
    const r = await forwardAll(fw, [...subjects.map((s) => ({ subject: s, to: 'bob@example.org', rule: 'R' })), { subject: other, to: 'bob@example.org', rule: 'Other' }], t0);
    expect(fw.sent).toEqual([`${subjects[0]!.record.id}→bob@example.org`, `${subjects[1]!.record.id}→bob@example.org`, `${other.record.id}→bob@example.org`]);
    expect(r.notes.join()).toContain('The filter “R” forwarded 2 messages in the last hour, the most it may: 1 more not forwarded');
    // 59 minutes on, still capped; an hour on, the third goes (and the first two never again).
    const again = () => forwardAll(fw, subjects.map((s) => ({ subject: s, to: 'bob@example.org', rule: 'R' })), t0 + 59 * 60_000);
    await again();
    expect(fw.sent).toHaveLength(3);
    await forwardAll(fw, subjects.map((s) => ({ subject: s, to: 'bob@example.org', rule: 'R' })), t0 + 61 * 60_000);
    expect(fw.sent.slice(3)).toEqual([`${subjects[2]!.record.id}→bob@example.org`]);
  });

  it('remembers per message and address on disk (a new process too); another address still gets it; a failed send may be tried again', async () => {
    await fs.mkdir(path.join(dir, 'log'));
    const s = await subject();
    const first = forwarder(new ForwardLog(path.join(dir, 'log')));
    await forwardAll(first, [{ subject: s, to: 'Bob@Example.org', rule: 'R' }], 0);
    const later = forwarder(new ForwardLog(path.join(dir, 'log')));
    await forwardAll(later, [{ subject: s, to: 'bob@example.org', rule: 'R2' }, { subject: s, to: 'carol@example.org', rule: 'R2' }], 10);
    expect(later.sent).toEqual([`${s.record.id}→carol@example.org`]);

    const t = await subject();
    const failing = forwarder(new ForwardLog(path.join(dir, 'log')), true);
    const r = await forwardAll(failing, [{ subject: t, to: 'bob@example.org', rule: 'R' }], 20);
    // Not queued: said as unsent (runRules reports it and leaves the message not done), not as a guard's note.
    expect(r.unsent).toMatchObject([{ id: t.record.id, to: 'bob@example.org', error: { message: 'the Outbox is full' } }]);
    expect(r.notes).toEqual([]);
    const retry = forwarder(new ForwardLog(path.join(dir, 'log')));
    await forwardAll(retry, [{ subject: t, to: 'bob@example.org', rule: 'R' }], 30);
    expect(retry.sent).toEqual([`${t.record.id}→bob@example.org`]);
    // In the same process too (the log took it back in memory as well), and once only.
    const u = await subject();
    const log = new ForwardLog(path.join(dir, 'log'));
    await forwardAll(forwarder(log, true), [{ subject: u, to: 'bob@example.org', rule: 'R3' }], 40);
    const same = forwarder(log);
    await forwardAll(same, [{ subject: u, to: 'bob@example.org', rule: 'R3' }], 50);
    await forwardAll(same, [{ subject: u, to: 'bob@example.org', rule: 'R3' }], 60);
    expect(same.sent).toEqual([`${u.record.id}→bob@example.org`]);
  });

  it('a forward whose record cannot be saved is not sent, and goes once the log can be written (same process)', async () => {
    const s = await subject();
    const log = new ForwardLog(path.join(dir, 'not-yet')); // its folder is missing: every save fails
    const fw = forwarder(log);
    const r = await forwardAll(fw, [{ subject: s, to: 'bob@example.org', rule: 'R' }], 0);
    expect(fw.sent).toEqual([]);
    expect(r.unsent).toMatchObject([{ id: s.record.id, to: 'bob@example.org' }]);
    await fs.mkdir(path.join(dir, 'not-yet'));
    await forwardAll(fw, [{ subject: s, to: 'bob@example.org', rule: 'R' }], 10);
    await forwardAll(fw, [{ subject: s, to: 'bob@example.org', rule: 'R' }], 20);
    expect(fw.sent).toEqual([`${s.record.id}→bob@example.org`]);
  });

  it('never forwards automatic mail, its own forwards, mail from the target or a headers-only message', async () => {
    await fs.mkdir(path.join(dir, 'loops'));
    const fw = forwarder(new ForwardLog(path.join(dir, 'loops')));
    fw.cap = 100;
    const cases = [await subject(['Auto-Submitted: auto-generated']), await subject(['Auto-Submitted: ']), await subject(['X-Popbox-Forwarded: yes']), await subject(['Sender: <bob@example.org>'])];
    const person = await subject(['Auto-Submitted: No (a person)']);
    const partial = await subject();
    (partial.record as { partial: boolean }).partial = true;
    const r = await forwardAll(fw, [...cases, person, partial].map((s) => ({ subject: s, to: 'bob@example.org', rule: 'R' })), 0);
    expect(fw.sent).toEqual([`${person.record.id}→bob@example.org`]);
    expect(r.notes).toHaveLength(5);
    expect(r.notes[4]).toContain('only its headers are downloaded');
  });
});
