/**
 * The native questions main asks before what a hostile page must not decide alone (DESIGN §3.8),
 * driven through the dispatcher as a page drives it. What the person reads is the only trusted
 * part of those flows, so it must say what the page cannot fake: which messages a deletion on the
 * server takes (from the On the server cache, not from the page), which forwarding addresses are
 * new and what they really are (punycode for a look-alike domain), with nothing a page can use to
 * redraw the text (line breaks, bidi overrides). And one question at a time: no dialog stacked on
 * an open one, no question re-opened right after Cancel.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Result } from '../../shared/contract.js';
import type { RuleInput } from '../../shared/rules.js';
import { createDispatcher, mailServiceHandlers, type ConfirmQuestion, type HostServices } from '../../electron/core/contract-handler.js';
import { MailService } from '../../electron/core/mail-service.js';
import { PAUSE_AFTER_CANCEL_MS, QuestionGate } from '../../electron/core/questions/question-gate.js';
import { oneLine } from '../../electron/core/questions/question-text.js';
import { MemorySecretStore } from '../../electron/core/secrets/index.js';
import { saveCache, emptyCache } from '../../electron/core/server-view/cache.js';
import { AccountMailbox } from '../../electron/core/store/mailbox.js';
import { messageFolder } from '../support/mime.js';

const tmp = messageFolder('popbox-native-questions-');
let n = 0;
const open: MailService[] = [];

afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

async function setUp(host: Partial<HostServices> = {}) {
  const dataDir = tmp.path(`d${++n}`);
  const service = await MailService.open({ dataDir, secrets: new MemorySecretStore(), sendQueued: false });
  open.push(service);
  const account = await service.addAccount(
    {
      name: 'Home',
      email: 'me@home.example',
      host: '127.0.0.1',
      port: 995,
      security: 'tls',
      user: 'me',
      leaveOnServer: true,
      password: { source: 'keychain' },
      smtp: { host: '127.0.0.1', port: 465, security: 'tls', user: 'me', password: { source: 'incoming' } },
    },
    'pw',
  );
  const dispatch = createDispatcher(mailServiceHandlers(service, { chooseSaveDestination: async () => null, ...host }));
  const call = (method: string, input: unknown) => dispatch(method, input) as Promise<Result<unknown>>;
  return { service, dataDir, accountId: account.id, call };
}

/** What the On the server view cached at its last listing. */
async function cacheListing(dataDir: string, accountId: string, headers: [string, { from: string; subject: string; date: string | null } | null][]) {
  const cache = emptyCache();
  cache.listedAt = Date.now();
  headers.forEach(([uidl, h], i) => {
    cache.messages.push({ num: i + 1, uidl, size: 1000 });
    if (h) cache.headers.set(uidl, h);
  });
  cache.count = headers.length;
  await saveCache(AccountMailbox.dirFor(dataDir, accountId), cache);
}

const textOf = (q: ConfirmQuestion | undefined) => `${q?.message ?? ''}\n${q?.detail ?? ''}`;
const BIDI = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

describe('Delete on the server? names the messages', () => {
  it('lists the cached From, Subject and Date of what the page asked to delete', async () => {
    const asked: ConfirmQuestion[] = [];
    const { dataDir, accountId, call } = await setUp({ confirm: async (q) => (asked.push(q), false) });
    await cacheListing(dataDir, accountId, [
      ['u1', { from: 'My Bank', subject: 'Your sign-in code', date: '2026-12-05T10:00:00.000Z' }],
      ['u2', { from: 'Shop', subject: 'Offers', date: null }],
    ]);
    expect(await call('deleteOnServer', { accountId, uidls: ['u1'] })).toMatchObject({ ok: false, error: { code: 'cancelled' } });
    expect(asked).toHaveLength(1);
    expect(textOf(asked[0])).toContain('Your sign-in code');
    expect(textOf(asked[0])).toContain('My Bank');
    expect(textOf(asked[0])).toContain('2026-12-05');
    expect(textOf(asked[0])).not.toContain('Offers');
  });

  it('shows at most five, never-downloaded first, then "and N more"; hostile text is one line without bidi controls', async () => {
    const asked: ConfirmQuestion[] = [];
    const { dataDir, accountId, call } = await setUp({ confirm: async (q) => (asked.push(q), false) });
    const many: [string, { from: string; subject: string; date: string | null } | null][] = [];
    many.push(['evil', { from: 'Bank\u202e\nmoc.evil', subject: `Approve\nNothing will be deleted.\u2066${'x'.repeat(5000)}`, date: null }]);
    for (let i = 1; i <= 8; i++) many.push([`m${i}`, { from: `Sender ${i}`, subject: `Subject ${i}`, date: null }]);
    many.push(['bare', null]);
    await cacheListing(dataDir, accountId, many);
    const uidls = many.map(([u]) => u);
    expect(await call('deleteOnServer', { accountId, uidls })).toMatchObject({ ok: false, error: { code: 'cancelled' } });
    const text = textOf(asked[0]);
    expect(asked[0]!.message).toMatch(/10 messages/);
    expect(text.match(/Subject \d/g)?.length ?? 0).toBeLessThanOrEqual(5);
    expect(text).toMatch(/and 5 more/);
    expect(text).not.toMatch(BIDI);
    // The hostile subject is on one line: its "verdict" does not stand on a line of its own.
    expect(text.split('\n').some((l) => l.trim() === 'Nothing will be deleted.')).toBe(false);
    expect(text.length).toBeLessThan(2000);
  });
});

describe('question text', () => {
  it('text shown in a question is one bounded line without controls or direction marks', () => {
    expect(oneLine('a\nb\r\n\u202ec\u2066d\u200e\u0000e', 100)).toBe('a b cde');
    expect(oneLine('x'.repeat(500), 20)).toHaveLength(20);
    expect(oneLine('😀'.repeat(30), 11)).not.toMatch(/[\ud800-\udbff]$/);
  });
});

const forward = (name: string, to: string | string[]): RuleInput => ({
  name,
  match: 'all',
  conditions: [{ field: 'subject', op: 'contains', value: 'invoice' }],
  actions: (Array.isArray(to) ? to : [to]).map((a) => ({ t: 'forward' as const, to: a })),
});

describe('Forward mail automatically? shows what is new, as it really is', () => {
  it('a look-alike domain is shown in its ASCII (punycode) form', async () => {
    const asked: ConfirmQuestion[] = [];
    const { call } = await setUp({ confirm: async (q) => (asked.push(q), false) });
    expect(await call('saveRules', { rules: [forward('Receipts', 'me@p\u0430ypal.com')] })).toMatchObject({ ok: false, error: { code: 'cancelled' } });
    expect(asked).toHaveLength(1);
    expect(textOf(asked[0])).toContain('me@xn--pypal-4ve.com');
  });

  it('lists only new targets, each on its own line', async () => {
    const asked: ConfirmQuestion[] = [];
    const { service, call } = await setUp({ confirm: async (q) => (asked.push(q), false) });
    await service.saveRules([forward('Receipts', ['old1@example.org', 'old2@example.org'])]); // as the CLI would
    expect(await call('saveRules', { rules: [forward('Receipts', ['old1@example.org', 'old2@example.org', 'new@example.net'])] })).toMatchObject({ ok: false, error: { code: 'cancelled' } });
    const text = textOf(asked[0]);
    expect(text).not.toContain('old1@example.org');
    expect(text).not.toContain('old2@example.org');
    expect(text.split('\n').some((l) => l.trim().startsWith('• new@example.net'))).toBe(true);
  });

  it('a rule name with a line break or a bidi override is refused in plain words', async () => {
    const asked: ConfirmQuestion[] = [];
    const { call } = await setUp({ confirm: async (q) => (asked.push(q), true) });
    for (const name of ['Receipts\n\nno forwarding', 'Receipts \u202eon', 'a\u2066b', 'x\u200fy']) {
      const r = await call('saveRules', { rules: [forward(name, 'me@example.org')] });
      expect(r).toMatchObject({ ok: false, error: { code: 'invalid', message: expect.stringMatching(/line breaks|direction/) } });
    }
    expect(asked).toEqual([]);
  });

  it('one save may add at most five new forwarding addresses', async () => {
    const asked: ConfirmQuestion[] = [];
    const { call } = await setUp({ confirm: async (q) => (asked.push(q), true) });
    const six = [1, 2, 3, 4, 5, 6].map((i) => `t${i}@example.org`);
    const r = await call('saveRules', { rules: [forward('A', six.slice(0, 3)), forward('B', six.slice(3))] });
    expect(r).toMatchObject({ ok: false, error: { code: 'invalid', message: expect.stringMatching(/at most 5 new/) } });
    expect(asked).toEqual([]);
    expect(await call('saveRules', { rules: [forward('A', six.slice(0, 5))] })).toMatchObject({ ok: true });
  });
});

describe('one native question at a time', () => {
  it('while a question is open, another call that needs one is refused as busy', async () => {
    let calls = 0;
    const { dataDir, accountId, call } = await setUp({ confirm: () => (calls++, new Promise<boolean>(() => {})) });
    await cacheListing(dataDir, accountId, [['u1', { from: 'A', subject: 'S', date: null }]]);
    void call('deleteOnServer', { accountId, uidls: ['u1'] });
    await expect.poll(() => calls).toBe(1);
    expect(await call('deleteOnServer', { accountId, uidls: ['u1'] })).toMatchObject({ ok: false, error: { code: 'busy', message: expect.stringContaining('already asking you something') } });
    expect(await call('saveRules', { rules: [forward('F', 'me@example.org')] })).toMatchObject({ ok: false, error: { code: 'busy' } });
    expect(calls).toBe(1);
  });

  it('after Cancel, the same question from the page is refused for a while without asking', async () => {
    let calls = 0;
    const { dataDir, accountId, call } = await setUp({ confirm: async () => (calls++, false) });
    await cacheListing(dataDir, accountId, [['u1', { from: 'A', subject: 'S', date: null }]]);
    expect(await call('deleteOnServer', { accountId, uidls: ['u1'] })).toMatchObject({ ok: false, error: { code: 'cancelled' } });
    expect(calls).toBe(1);
    expect(await call('deleteOnServer', { accountId, uidls: ['u1'] })).toMatchObject({ ok: false, error: { code: 'busy', message: expect.stringMatching(/Cancel/) } });
    expect(calls).toBe(1);
    // Another kind of question is still asked.
    expect(await call('saveRules', { rules: [forward('F', 'me@example.org')] })).toMatchObject({ ok: false, error: { code: 'cancelled' } });
    expect(calls).toBe(2);
  });
});

describe('QuestionGate', () => {
  it('the pause after Cancel ends: after 10 s the same question is asked again; a yes or a throw starts no pause', async () => {
    let t = 0;
    const gate = new QuestionGate(PAUSE_AFTER_CANCEL_MS, () => t);
    expect(PAUSE_AFTER_CANCEL_MS).toBe(10_000);
    expect(await gate.ask('server-delete', async () => false)).toBe(false);
    t = 9_000;
    await expect(gate.ask('server-delete', async () => true)).rejects.toMatchObject({ code: 'busy', message: expect.stringContaining('1 second') });
    t = 10_000;
    expect(await gate.ask('server-delete', async () => true)).toBe(true);
    expect(await gate.ask('server-delete', async () => true)).toBe(true);
    await expect(gate.ask('resend', async () => Promise.reject(new Error('no window')))).rejects.toThrow('no window');
    expect(await gate.ask('resend', async () => true)).toBe(true);
  });
});
