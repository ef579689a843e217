/**
 * A filter's "forward to" (issue 16 §1) against a real Postfix delivering into a real Dovecot:
 * a matching message that arrives by sync reaches the forward target once, as an attachment
 * (message/rfc822) from the account's default identity; later syncs and rule runs do not send
 * it again; mail sent automatically (Auto-Submitted, Popbox's own forwards) and mail from the
 * target itself is never forwarded, so two mailboxes forwarding to each other do not loop; an
 * account that cannot send is refused when the rule is saved; and a page cannot set up a
 * forward without a native confirmation.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { AccountSettings } from '../../shared/accounts.js';
import type { Result } from '../../shared/contract.js';
import type { RuleInput } from '../../shared/rules.js';
import { createDispatcher, mailServiceHandlers, type ConfirmQuestion, type HostServices } from '../../electron/core/contract-handler.js';
import { MailService } from '../../electron/core/mail-service.js';
import { MemorySecretStore } from '../../electron/core/secrets/index.js';
import { sendSuite, startSendServers, type SendServers } from '../support/send-servers.js';
import { sleep } from '../support/servers.js';

const suite = sendSuite('the forwarding-filters suite');
const USERS = [
  { name: 'alice', password: 'alice-pw' },
  { name: 'bob', password: 'bob-pw' },
  { name: 'carol', password: 'carol-pw' },
];

let n = 0;
/** A plain message to alice (LF line ends, as a file would hold it). */
function mail(subject: string, extra: string[] = [], from = 'Dave <dave@other.example>'): Buffer {
  n++;
  return Buffer.from([`From: ${from}`, 'To: alice@example.org', `Subject: ${subject}`, `Message-ID: <fw-${n}-${Date.now()}@other.example>`, 'Date: Sun, 06 Dec 2026 07:00:00 +0000', ...extra, '', `Body of ${subject}.`, ''].join('\n'));
}

suite('filters that forward (Postfix + Dovecot)', () => {
  let servers: SendServers;
  let dataDir: string;
  let service: MailService;
  let alice: AccountSettings;
  let bob: AccountSettings;
  let carol: AccountSettings;

  beforeAll(async () => {
    servers = await startSendServers({ users: USERS });
    const { dovecot: dc, postfix: pf } = servers;
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-rules-forward-'));
    service = await MailService.open({ dataDir, secrets: new MemorySecretStore() });
    const pop = (user: string) => ({ email: `${user}@example.org`, host: '127.0.0.1', port: dc.tlsPort, security: 'tls' as const, user, tlsFingerprint: dc.fingerprint256, password: { source: 'keychain' as const } });
    const smtp = (user: string) => ({ host: '127.0.0.1', port: pf.submissionsPort, security: 'tls' as const, user, tlsFingerprint: pf.fingerprint256, password: { source: 'incoming' as const } });
    alice = await service.addAccount({ ...pop('alice'), name: 'Alice', smtp: smtp('alice'), identities: [{ id: 'alice', name: 'Alice', address: 'alice@example.org' }] }, 'alice-pw');
    bob = await service.addAccount({ ...pop('bob'), name: 'Bob', smtp: smtp('bob'), identities: [{ id: 'bob', name: 'Bob', address: 'bob@example.org' }] }, 'bob-pw');
    // Carol's account only receives (no outgoing server).
    carol = await service.addAccount({ ...pop('carol'), name: 'Carol' }, 'carol-pw');
  }, 120_000);

  afterAll(async () => {
    await service?.close();
    await servers?.stop();
    if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
  });

  const mailboxOf = (user: string) => servers.dovecot.mailbox(user);

  /** Waits until `user`'s server mailbox holds `count` messages (Postfix delivers after its 250), then a little more for any extra. */
  async function settle(user: string, count: number): Promise<Buffer[]> {
    const deadline = Date.now() + 30_000;
    while ((await mailboxOf(user)).length < count && Date.now() < deadline) await sleep(100);
    await sleep(800);
    return (await mailboxOf(user)).map((m) => m.bytes);
  }

  const forwardRule = (name: string, account: string, subject: string, to: string): RuleInput => ({
    name,
    match: 'all',
    conditions: [
      { field: 'account', op: 'is', value: account },
      { field: 'subject', op: 'contains', value: subject },
    ],
    actions: [{ t: 'forward', to }],
  });

  it('an account without an outgoing server is refused when the rule is saved, in words', async () => {
    const unlimited: RuleInput = { name: 'Everything to Bob', match: 'all', conditions: [{ field: 'subject', op: 'contains', value: 'x' }], actions: [{ t: 'forward', to: 'bob@example.org' }] };
    await expect(service.saveRules([unlimited])).rejects.toThrow('the account “Carol” has no outgoing server to send it with');
    await expect(service.saveRules([forwardRule('Carol to Bob', 'Carol', 'x', 'bob@example.org')])).rejects.toThrow('“Carol” has no outgoing server');
    // Off, it sends nothing: saved.
    await service.saveRules([{ ...unlimited, enabled: false }]);
    expect(await service.listRules()).toHaveLength(1);
    await service.saveRules([]);
    void carol;
  });

  it('a matching new message reaches the target once, as an attachment from the default identity; syncs and runs later do not send it again', async () => {
    await service.saveRules([forwardRule('Urgent to Bob', 'Alice', 'urgent', 'bob@example.org')]);
    const original = mail('urgent: the roof');
    const other = mail('lunch?');
    await servers.dovecot.deliver('alice', [original, other]);
    expect((await service.sync([alice.id]))[0]).toMatchObject({ ok: true, result: { downloaded: 2 } });

    const got = await settle('bob', 1);
    expect(got).toHaveLength(1);
    const fwd = await simpleParser(got[0]!);
    expect(fwd.from?.value[0]?.address).toBe('alice@example.org');
    expect(fwd.subject).toBe('Fwd: urgent: the roof');
    expect(fwd.headers.get('auto-submitted')).toBe('auto-forwarded');
    expect(fwd.headers.get('x-popbox-forwarded')).toBe('yes');
    expect(fwd.text).toContain('by the filter “Urgent to Bob”');
    const attached = fwd.attachments.find((a) => a.contentType === 'message/rfc822');
    expect(attached).toBeDefined();
    // The original byte for byte (line ends aside: Dovecot keeps LF on disk).
    const lf = (b: Buffer) => b.toString('latin1').replace(/\r\n/g, '\n');
    expect(lf(attached!.content)).toBe(lf(original));
    // Filed in Alice's Sent as what went out.
    expect(service.messages({ accountId: alice.id }).filter((m) => m.folder === 'Sent').map((m) => m.summary.subject)).toEqual(['Fwd: urgent: the roof']);

    // A second sync, a run of the rules and a run that is told to forward: nothing more goes.
    expect((await service.sync([alice.id]))[0]).toMatchObject({ ok: true, result: { downloaded: 0 } });
    const inbox = service.messages({ accountId: alice.id }).filter((m) => m.folder === 'INBOX').map((m) => m.id);
    expect(await service.runRules(inbox)).toHaveLength(1);
    const again = await service.runRules(inbox, { forward: true });
    expect(again.flatMap((o) => o.forwardedTo ?? [])).toEqual([]);
    expect(await settle('bob', 1)).toHaveLength(1);
  });

  it('mail sent automatically, Popbox forwards and mail from the target are never forwarded: two mailboxes forwarding to each other do not loop', async () => {
    await servers.dovecot.clear('bob');
    await service.saveRules([forwardRule('Urgent to Bob', 'Alice', 'urgent', 'bob@example.org'), forwardRule('Urgent back to Alice', 'Bob', 'urgent', 'alice@example.org')]);
    const notices: string[] = [];
    const off = service.on('notice', (e) => notices.push(e.message));
    await servers.dovecot.deliver('alice', [
      mail('urgent: out of office', ['Auto-Submitted: auto-replied']),
      mail('urgent: relayed', ['X-Popbox-Forwarded: yes']),
      mail('urgent: from bob himself', [], 'Bob <BOB@example.org>'),
      mail('urgent: a person wrote', ['Auto-Submitted: no']),
    ]);
    expect((await service.sync([alice.id]))[0]).toMatchObject({ ok: true, result: { downloaded: 4 } });
    const got = await settle('bob', 1);
    expect(got.map((b) => /^Subject: (.*)$/m.exec(b.toString('latin1'))?.[1])).toEqual(['Fwd: urgent: a person wrote']);
    expect(notices.join('\n')).toContain('“urgent: out of office” was not forwarded to bob@example.org: it was sent automatically (Auto-Submitted)');
    expect(notices.join('\n')).toContain('“urgent: relayed” was not forwarded to bob@example.org: it was forwarded by Popbox');
    expect(notices.join('\n')).toContain('“urgent: from bob himself” was not forwarded to bob@example.org: it is from the address it would be forwarded to');

    // Bob's own filter would send it back to Alice: it does not (Auto-Submitted: auto-forwarded).
    const aliceOnServer = (await mailboxOf('alice')).length;
    expect((await service.sync([bob.id]))[0]).toMatchObject({ ok: true, result: { downloaded: 1 } });
    expect(notices.join('\n')).toContain('“Fwd: urgent: a person wrote” was not forwarded to alice@example.org: it was sent automatically (Auto-Submitted)');
    await sleep(800);
    expect(await mailboxOf('alice')).toHaveLength(aliceOnServer);
    off();
  });

  it('from the renderer, a new or changed forward needs a native yes: no way to ask is refused, Cancel saves nothing', async () => {
    await service.saveRules([]);
    const asked: ConfirmQuestion[] = [];
    const handlers = (confirm?: (q: ConfirmQuestion) => Promise<boolean>) => {
      const host: HostServices = { chooseSaveDestination: async () => null, ...(confirm ? { confirm } : {}) };
      const dispatch = createDispatcher(mailServiceHandlers(service, host));
      return async (rules: RuleInput[]) => (await dispatch('saveRules', { rules })) as Result<unknown>;
    };
    const rule = forwardRule('To Mallory', 'Alice', 'a', 'mallory@evil.example');
    const rulesFile = path.join(dataDir, 'rules.json');
    const onDisk = async () => JSON.parse(await fs.readFile(rulesFile, 'utf8')).rules as unknown[];

    expect(await handlers()([rule])).toMatchObject({ ok: false, error: { code: 'unsupported' } });
    expect(await onDisk()).toEqual([]);
    expect(await handlers(async (q) => (asked.push(q), false))([rule])).toMatchObject({ ok: false, error: { code: 'cancelled' } });
    expect(await onDisk()).toEqual([]);
    expect(asked[0]).toMatchObject({ title: 'Forward mail automatically?', message: expect.stringContaining('mallory@evil.example') });

    const yes = handlers(async (q) => (asked.push(q), true));
    expect(await yes([rule])).toMatchObject({ ok: true });
    expect(await onDisk()).toHaveLength(1);
    // The same list again (a reorder, another filter's edit): no question. A new target: asked.
    asked.length = 0;
    expect(await yes([rule, { name: 'Read', match: 'all', conditions: [{ field: 'subject', op: 'contains', value: 'b' }], actions: [{ t: 'mark-read' }] }])).toMatchObject({ ok: true });
    expect(asked).toEqual([]);
    expect(await handlers(async () => false)([{ ...rule, actions: [{ t: 'forward', to: 'eve@evil.example' }] }])).toMatchObject({ ok: false, error: { code: 'cancelled' } });
    expect(JSON.stringify(await onDisk())).not.toContain('eve@evil.example');
    // A page cannot put a list of addresses or a name in place of one address.
    expect(await yes([{ ...rule, actions: [{ t: 'forward', to: 'a@b.example, c@d.example' }] }])).toMatchObject({ ok: false, error: { code: 'invalid' } });
    await service.saveRules([]);
  });
});
