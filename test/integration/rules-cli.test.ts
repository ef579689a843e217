/**
 * Filters as a user meets them (issue 16 §1): rules typed with `popbox rules add`, applied on
 * arrival while `popbox sync` downloads real mail (the SpamAssassin corpus) from the private
 * Dovecot, and `popbox rules run` over a folder afterwards. What is asserted is what the user
 * sees: which folder each message file is in, its flags in the file name, what the CLI prints.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Result } from '../../shared/contract.js';
import { createDispatcher, mailServiceHandlers } from '../../electron/core/contract-handler.js';
import { MailService } from '../../electron/core/mail-service.js';
import { newMailNotification } from '../../electron/main/notifications.js';
import { MemorySecretStore } from '../../electron/core/secrets/index.js';
import { bundleCli } from '../support/cli-bundle.js';
import { dovecotUnavailable, startDovecot, type DovecotServer } from '../support/dovecot.js';
import { corpusMessage, corpusNames } from '../support/spam-corpus.js';

const exec = promisify(execFile);
const missing = dovecotUnavailable();
if (missing && process.env.CI) throw new Error(`The rules suite needs: ${missing}`);
if (missing) console.warn(`Skipping the rules suite: ${missing}`);
const suite = missing ? describe.skip : describe;


/** Sixty real messages from 2002, without the mbox "From " line most corpus files start with. */
async function realMail(from = 0, to = 30): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (const folder of ['easy-ham-1', 'spam-1']) {
    for (const name of (await corpusNames(folder)).slice(from, to)) out.push(await corpusMessage(folder, name));
  }
  return out;
}

/** The test's own reading of a header (unfolded, first occurrence), independent of Popbox's parser. */
function headerOf(raw: Buffer, name: string): string | null {
  const head = raw.toString('latin1').split(/\r?\n\r?\n/)[0]!.replace(/\r?\n[ \t]+/g, ' ');
  const m = new RegExp(`^${name}:[ \\t]*(.*)$`, 'im').exec(head);
  return m ? m[1]! : null;
}

suite('popbox rules: add, list, on arrival during sync, run, remove', () => {
  let dc: DovecotServer;
  let base: string;
  let dataDir: string;
  let cliPath: string;
  let maildir: string;
  let mail: Buffer[];

  async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    try {
      const { stdout, stderr } = await exec(process.execPath, [cliPath, '--data-dir', dataDir, ...args], { env: { ...process.env, POPBOX_DATA_DIR: '', COLUMNS: '120' }, maxBuffer: 64 * 1024 * 1024 });
      return { code: 0, stdout, stderr };
    } catch (e) {
      const err = e as { code: number; stdout: string; stderr: string };
      return { code: err.code, stdout: err.stdout, stderr: err.stderr };
    }
  }

  /** Every message file by folder ("INBOX" for the inbox), with the flags its name carries. */
  async function disk(): Promise<Map<string, { folder: string; flags: string }>> {
    const out = new Map<string, { folder: string; flags: string }>();
    const dirs = ['', ...(await fs.readdir(maildir)).filter((d) => d.startsWith('.'))];
    for (const dir of dirs) {
      for (const sub of ['cur', 'new']) {
        for (const name of await fs.readdir(path.join(maildir, dir, sub)).catch(() => [] as string[])) {
          const [id, info = ''] = name.split(':');
          expect(out.has(id!), `${id} is in two folders`).toBe(false);
          out.set(id!, { folder: dir === '' ? 'INBOX' : dir.slice(1), flags: info.replace(/^2,/, '') });
        }
      }
    }
    return out;
  }

  beforeAll(async () => {
    cliPath = await bundleCli();
    mail = await realMail();
    dc = await startDovecot({ users: [{ name: 'reader', password: 'reader-pw' }] });
    await dc.deliver('reader', mail);
    base = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-rules-'));
    dataDir = path.join(base, 'data');
    const service = await MailService.open({ dataDir, secrets: new MemorySecretStore() });
    const account = await service.addAccount({
      name: 'Reader',
      host: '127.0.0.1',
      port: dc.tlsPort,
      security: 'tls',
      user: 'reader',
      tlsFingerprint: dc.fingerprint256,
      leaveOnServer: true,
      password: { source: 'command', command: 'echo reader-pw' },
    });
    await service.close();
    maildir = path.join(dataDir, 'accounts', account.id, 'Maildir');
  }, 120_000);

  afterAll(async () => {
    await dc?.stop();
    if (base) await fs.rm(base, { recursive: true, force: true });
  });

  it('answers a rule it cannot understand in words naming what, and saves nothing', async () => {
    const colour = await cli('rules', 'add', 'Odd', '--if', 'colour is red', '--then', 'flag');
    expect(colour.code).toBe(2);
    expect(colour.stderr).toContain('“colour” is not something a rule can look at');
    const action = await cli('rules', 'add', 'Odd', '--if', 'subject contains x', '--then', 'shred');
    expect(action.code).toBe(2);
    expect(action.stderr).toContain('“shred” is not an action');
    const missingThen = await cli('rules', 'add', 'Odd', '--if', 'subject contains x');
    expect(missingThen.stderr).toContain('needs at least one action after --then');
    expect((await cli('rules', 'list')).stdout).toBe('no rules yet: add one with "popbox rules add"\n');
    await expect(fs.access(path.join(dataDir, 'rules.json'))).rejects.toThrow();
  });

  it('adds rules and lists them in order, as text and JSON', async () => {
    const added = await cli('rules', 'add', 'SpamAssassin list', '--if', 'header List-Id contains spamassassin', '--then', 'move Lists/SpamAssassin', 'mark-read', 'stop');
    expect(added.code).toBe(0);
    expect(added.stdout).toBe('added rule SpamAssassin list: if header List-Id contains spamassassin then move Lists/SpamAssassin, mark-read, stop; applies to every account (--account NAME limits a rule to one account)\n');
    expect((await cli('rules', 'add', 'Big', '--if', 'size > 6K', '--then', 'flag')).code).toBe(0);
    expect((await cli('rules', 'add', 'Big', '--if', 'size > 9K', '--then', 'flag')).stderr).toContain('there is already a rule named "Big"');
    const list = await cli('rules', 'list');
    expect(list.stdout).toBe(
      '1. SpamAssassin list: if header List-Id contains spamassassin then move Lists/SpamAssassin, mark-read, stop; applies to every account\n2. Big: if size > 6144 then flag; applies to every account\n',
    );
    const json = JSON.parse((await cli('rules', 'list', '--json')).stdout) as { name: string; conditions: unknown[] }[];
    expect(json.map((r) => r.name)).toEqual(['SpamAssassin list', 'Big']);
    expect(json[0]!.conditions).toEqual([{ field: 'header', name: 'List-Id', op: 'contains', value: 'spamassassin' }]);
  });

  it('files new mail on arrival during sync: the list mail read in its folder, big mail flagged, stop honoured', async () => {
    const synced = await cli('sync');
    expect(synced.code, synced.stderr).toBe(0);
    const files = await disk();
    expect(files.size).toBe(mail.length);

    const listed = JSON.parse((await cli('messages', '--json')).stdout) as { id: string; folder: string; subject: string; size: number; seen: boolean; flagged: boolean; messageId: string | null }[];
    expect(listed).toHaveLength(mail.length);
    // The oracle: the test's own reading of each raw message, matched to Popbox's by Message-ID.
    const byMessageId = new Map(mail.map((raw) => [headerOf(raw, 'Message-ID')?.trim(), raw]));
    let onList = 0;
    let big = 0;
    for (const m of listed) {
      const raw = byMessageId.get(m.messageId ?? undefined);
      expect(raw, `message ${m.id} found in the corpus`).toBeDefined();
      const file = files.get(m.id)!;
      if ((headerOf(raw!, 'List-Id') ?? '').toLowerCase().includes('spamassassin')) {
        onList++;
        expect(file.folder).toBe('Lists.SpamAssassin');
        expect(file.flags).toContain('S');
        expect(file.flags).not.toContain('F'); // stop: the Big rule never ran for it
        expect(m.folder).toBe('Lists/SpamAssassin');
      } else {
        expect(file.folder).toBe('INBOX');
        expect(file.flags).not.toContain('S');
        const isBig = m.size > 6144;
        if (isBig) big++;
        expect(file.flags.includes('F'), `${m.subject} (${m.size} bytes)`).toBe(isBig);
      }
    }
    expect(onList).toBeGreaterThan(0);
    expect(big).toBeGreaterThan(0);
  }, 120_000);

  it('runs a new rule on demand over the inbox and prints what moved', async () => {
    expect((await cli('rules', 'add', 'Offers', '--if', 'subject matches *free*', 'subject contains $', '--any', '--then', 'move Offers')).code).toBe(0);
    const before = JSON.parse((await cli('messages', '--json')).stdout) as { id: string; folder: string; subject: string }[];
    const expected = before.filter((m) => m.folder === 'Inbox' && (m.subject.toLowerCase().includes('free') || m.subject.includes('$'))).map((m) => m.id);
    expect(expected.length).toBeGreaterThan(0);

    const ran = await cli('rules', 'run', '--folder', 'Inbox');
    expect(ran.code, ran.stderr).toBe(0);
    const lines = ran.stdout.trim().split('\n');
    expect(lines.at(-1)).toMatch(new RegExp(`^\\d+ messages checked, \\d+ matched, ${expected.length} moved$`));
    for (const id of expected) expect(ran.stdout).toMatch(new RegExp(`^${id} .*moved to Offers`, 'm'));

    const files = await disk();
    expect([...files].filter(([, f]) => f.folder === 'Offers').map(([id]) => id).sort()).toEqual([...expected].sort());
    const nowhere = await cli('rules', 'run', '--folder', 'Nowhere');
    expect(nowhere.code).toBe(2);
    expect(nowhere.stderr).toContain('no folder "Nowhere" in this account');
    // Run again: nothing left to move.
    expect((await cli('rules', 'run')).stdout.trim().split('\n').at(-1)).toMatch(/, 0 moved$/);
  });

  it('removes a rule by name and says when there is none', async () => {
    expect((await cli('rules', 'remove', 'big')).stdout).toBe('removed rule big\n');
    const none = await cli('rules', 'remove', 'Big');
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('no rule named "Big"');
    expect((await cli('rules', 'list')).stdout).not.toContain('Big');
  });

  it('the screen: the preview names exactly what a run then files, and what the renderer sends is bounded', async () => {
    const service = await MailService.open({ dataDir, secrets: new MemorySecretStore() });
    try {
      const dispatch = createDispatcher(mailServiceHandlers(service, { chooseSaveDestination: async () => null }));
      const call = async <T>(method: string, input: unknown) => (await dispatch(method, input)) as Result<T>;
      const rule = { name: 'Replies', enabled: true, match: 'any', conditions: [{ field: 'subject', op: 'matches', value: 're:*' }, { field: 'body', op: 'contains', value: 'wrote:' }], actions: [{ t: 'move', folder: ['Replies'] }] };
      const preview = await call<{ ids: string[]; truncated: boolean }>('previewRule', { rule, folder: 'INBOX', max: 1000 });
      expect(preview.ok).toBe(true);
      const previewed = preview.ok ? preview.value.ids : [];
      expect(previewed.length).toBeGreaterThan(0);
      expect(await call('saveRules', { rules: [rule] })).toMatchObject({ ok: true });
      const inbox = service.messages().filter((m) => m.folder === 'INBOX').map((m) => m.id);
      const ran = await call<{ id: string; movedTo?: string }[]>('runRules', { ids: inbox });
      expect(ran.ok).toBe(true);
      const moved = ran.ok ? ran.value.filter((o) => o.movedTo === 'Replies').map((o) => o.id) : [];
      expect(moved.sort()).toEqual([...previewed].sort());
      expect(service.messages().filter((m) => m.folder === 'Replies').map((m) => m.id).sort()).toEqual([...previewed].sort());
      expect((await call<unknown[]>('listRules', {})).ok).toBe(true);

      // Hostile or broken input from the renderer is refused before anything is saved.
      const long = await call('saveRules', { rules: [{ ...rule, conditions: [{ field: 'subject', op: 'matches', value: '(a+)+'.repeat(60) }] }] });
      expect(long).toMatchObject({ ok: false, error: { code: 'invalid' } });
      const twice = await call('saveRules', { rules: [rule, rule] });
      expect(twice).toMatchObject({ ok: false, error: { code: 'invalid', message: expect.stringContaining('two rules are named') } });
      const many = await call('saveRules', { rules: Array.from({ length: 501 }, (_, i) => ({ ...rule, name: `r${i}` })) });
      expect(many).toMatchObject({ ok: false, error: { code: 'invalid' } });
      expect(await call('previewRule', { rule, max: 1_000_000 })).toMatchObject({ ok: false, error: { code: 'invalid' } });
      expect(await call('saveRules', { rules: [{ ...rule, actions: [{ t: 'exec', command: 'rm -rf ~' }] }] })).toMatchObject({ ok: false, error: { code: 'invalid' } });
      expect((await service.listRules()).map((r) => r.name)).toEqual(['Replies']);
    } finally {
      await service.close();
    }
  });

  it('new mail is filtered before it is announced, and each arrival once when two syncs join', async () => {
    const more = await realMail(30, 35);
    await dc.deliver('reader', more);
    const service = await MailService.open({ dataDir, secrets: new MemorySecretStore() });
    try {
      await service.saveRules([
        { name: 'Keep a copy', match: 'all', conditions: [{ field: 'size', op: '>', bytes: 0 }], actions: [{ t: 'copy', folder: ['Copies'] }] },
        { name: 'File', match: 'all', conditions: [{ field: 'size', op: '>', bytes: 0 }], actions: [{ t: 'move', folder: ['Arrived'] }, { t: 'mark-read' }] },
      ]);
      // The folders exist: two runs over the same arrivals would each copy them.
      const accountId = service.listAccounts()[0]!.id;
      await service.createFolder(accountId, ['Copies']);
      await service.createFolder(accountId, ['Arrived']);
      const before = service.journal.state;
      let firstChange: () => void = () => {};
      const changed = new Promise<void>((resolve) => (firstChange = resolve));
      const off = service.on('stateChanged', () => firstChange());
      // Two callers (the scheduler and a click on Get mail) join one sync.
      const syncs = Promise.all([service.sync(), service.sync()]);
      await changed;
      off();
      // What the shell's new-mail notification does: wait for the filters, then look.
      await service.arrivalsSettled();
      const changes = service.changesSince(before);
      if ('cannotCalculate' in changes) throw new Error('journal compacted');
      const arrived = changes.changes.flatMap((c) => (c.t === 'add' && c.m.uidl !== '' ? [c.m] : []));
      expect(arrived).toHaveLength(more.length);
      const now = arrived.map((m) => service.journal.get(m.id)!);
      expect(now.every((m) => m.folder === 'Arrived' && m.flags.seen)).toBe(true);
      expect(newMailNotification(now)).toBeNull();
      expect(newMailNotification(arrived)).not.toBeNull(); // as they arrived, they would have been announced
      await syncs;
      const copies = service.messages().filter((m) => m.folder === 'Copies');
      expect(copies).toHaveLength(more.length);
    } finally {
      await service.close();
    }
  }, 120_000);

  it('delete-on-server: the server copy goes at the next sync, the copy here stays', async () => {
    for (const name of ['Keep a copy', 'File']) expect((await cli('rules', 'remove', name)).code).toBe(0);
    expect((await cli('rules', 'add', 'Off the server', '--if', 'subject matches *', '--then', 'delete-on-server')).code).toBe(0);
    const offers = JSON.parse((await cli('messages', '--folder', 'Offers', '--json')).stdout) as { id: string; messageId: string }[];
    expect(offers.length).toBeGreaterThan(0);
    const ran = await cli('rules', 'run', '--folder', 'Offers');
    expect(ran.code, ran.stderr).toBe(0);
    for (const m of offers) expect(ran.stdout).toMatch(new RegExp(`^${m.id} .*to be deleted from the server at the next sync`, 'm'));
    const pending = JSON.parse((await cli('pending', '--json')).stdout) as { id: string; reason: string }[];
    expect(pending.map((p) => p.id).sort()).toEqual(offers.map((m) => m.id).sort());
    expect(new Set(pending.map((p) => p.reason))).toEqual(new Set(['filtered']));

    const onServer = async () => (await dc.mailbox('reader')).map((f) => headerOf(f.bytes, 'Message-ID')?.trim());
    const before = await onServer();
    for (const m of offers) expect(before).toContain(m.messageId);
    const synced = await cli('sync');
    expect(synced.code, synced.stderr).toBe(0);
    const after = await onServer();
    for (const m of offers) expect(after).not.toContain(m.messageId);
    expect(after).toHaveLength(before.length - offers.length);
    // Still here, in the folder the rules filed them in.
    const here = JSON.parse((await cli('messages', '--folder', 'Offers', '--json')).stdout) as { id: string }[];
    expect(here.map((m) => m.id).sort()).toEqual(offers.map((m) => m.id).sort());
    expect((await cli('pending')).stdout).toBe('no server deletions pending\n');
  }, 120_000);
});
