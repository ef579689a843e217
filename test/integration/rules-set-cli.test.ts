/**
 * Changing a filter from the terminal where it stands (level with Settings › Filters' editor and
 * its on/off box): `popbox rules set RULE …` replaces the parts typed (accounts, conditions,
 * actions, name, on/off) and keeps the rule's place in the order; RULE is a name or the number
 * `rules list` shows. `rules preview RULE` lists what a rule would act on and changes nothing;
 * `rules run`/`preview --all-folders` reach what the screen's "all folders" does.
 * Asserted is what a user meets: exit codes, printed lines, rules.json, and (against Dovecot)
 * which account's message a changed rule files on the next sync.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli-bundle.js';
import { addDovecotAccounts } from '../support/cli-accounts.js';
import { dovecotUnavailable, startDovecot, type DovecotServer } from '../support/dovecot.js';

let dataDir: string;
const cli = (...args: string[]) => runCli(dataDir, ...args);
const incoming = ['--host', 'pop.example.org', '--port', '995', '--security', 'tls', '--password-command', 'echo pw'];
const rulesFile = () => fs.readFile(path.join(dataDir, 'rules.json'), 'utf8');
const onDisk = async () => (JSON.parse(await rulesFile()) as { rules: { name: string; enabled: boolean; match: string; accounts?: string[] }[] }).rules;
let ids: Record<string, string>;

beforeAll(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-rules-set-'));
  for (const name of ['Alice', 'Bob', 'Carol']) expect((await cli('account', 'add', name, ...incoming, '--user', name.toLowerCase())).stderr).toBe('');
  const listed = JSON.parse((await cli('account', 'list', '--json')).stdout) as { id: string; name: string }[];
  ids = Object.fromEntries(listed.map((a) => [a.name, a.id]));
  for (const add of [
    ['Bills', '--if', 'subject contains invoice', '--then', 'flag', '--account', 'Bob'],
    ['Lists', '--if', 'header List-Id contains rust', 'from is a@b.c', '--any', '--then', 'mark-read'],
    ['Big', '--if', 'size > 1M', '--then', 'flag', '--every-account'],
  ]) expect((await cli('rules', 'add', ...add)).code).toBe(0);
});
afterAll(() => fs.rm(dataDir, { recursive: true, force: true }));

describe('popbox rules set', () => {
  it("changes a rule's accounts where it stands: the order and the rest of the rule stay", async () => {
    const toAlice = await cli('rules', 'set', 'bills', '--account', 'alice');
    expect(toAlice).toMatchObject({ code: 0, stderr: '', stdout: 'changed rule Bills: if subject contains invoice then flag; applies to Alice\n' });
    const both = await cli('rules', 'set', '2', '--account', 'Carol', '--account', ids.Alice!);
    expect(both.stdout).toBe('changed rule Lists: if header List-Id contains rust or from is a@b.c then mark-read; applies to Carol and Alice\n');
    expect(await onDisk()).toEqual([
      expect.objectContaining({ name: 'Bills', accounts: [ids.Alice] }),
      expect.objectContaining({ name: 'Lists', match: 'any', accounts: [ids.Carol, ids.Alice] }),
      expect.not.objectContaining({ accounts: expect.anything() }),
    ]);
    const every = await cli('rules', 'set', 'Lists', '--every-account');
    expect(every.stdout).toBe('changed rule Lists: if header List-Id contains rust or from is a@b.c then mark-read; applies to every account\n');
    expect('accounts' in (await onDisk())[1]!).toBe(false);
    expect((await cli('rules', 'set', 'Big', '--every-account')).stdout).toBe('no change to rule Big: if size > 1048576 then flag; applies to every account\n');
  });

  it('refuses an account there is not, a rule there is not, or a name taken, with exit code 2, and saves nothing', async () => {
    const before = await rulesFile();
    const unknown = await cli('rules', 'set', 'Bills', '--account', 'Dave');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('rules set --account: no account "Dave" (the accounts are "Alice", "Bob", "Carol")');
    const noRule = await cli('rules', 'set', 'Nope', '--off');
    expect(noRule.code).toBe(2);
    expect(noRule.stderr).toContain('no rule named "Nope" (see "popbox rules list")');
    const past = await cli('rules', 'set', '4', '--off');
    expect(past.code).toBe(2);
    expect(past.stderr).toContain('no rule named "4" (see "popbox rules list": there are 3 rules)');
    const taken = await cli('rules', 'set', 'Bills', '--name', 'big');
    expect(taken.code).toBe(2);
    expect(taken.stderr).toContain('there is already a rule named "big": choose another name');
    const badCondition = await cli('rules', 'set', 'Bills', '--if', 'subjekt contains x');
    expect(badCondition.code).toBe(2);
    expect(badCondition.stderr).toContain('cannot understand the condition "subjekt contains x"');
    const nothing = await cli('rules', 'set', 'Bills');
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toContain('rules set: nothing to change');
    expect(await rulesFile()).toBe(before);
  });

  it('turns a rule off and on, renames it, and replaces its conditions or actions, keeping what is not typed', async () => {
    expect((await cli('rules', 'set', 'Bills', '--off')).stdout).toBe('changed rule Bills (off): if subject contains invoice then flag; applies to Alice\n');
    expect((await cli('rules', 'list')).stdout.split('\n')[0]).toBe('1. Bills (off): if subject contains invoice then flag; applies to Alice');
    const changed = await cli('rules', 'set', 'Bills', '--on', '--name', 'Invoices', '--if', 'subject contains invoice', 'from matches *@shop.example', '--then', 'move Receipts', 'mark-read');
    expect(changed.stdout).toBe('changed rule Invoices: if subject contains invoice and from matches *@shop.example then move Receipts, mark-read; applies to Alice\n');
    // Lists matched any condition: new conditions alone keep that (--all would change it).
    expect((await cli('rules', 'set', 'Lists', '--if', 'to contains rust@lists.example', 'cc contains rust@lists.example')).stdout).toContain('if to-cc contains rust@lists.example or to-cc contains rust@lists.example then');
    expect((await cli('rules', 'list')).stdout.split('\n').map((l) => l.slice(0, 12))).toEqual(['1. Invoices:', '2. Lists: if', '3. Big: if s', '']);
  });

  it('rules add --off saves a rule that is not run; remove and move take the number too', async () => {
    expect((await cli('rules', 'add', 'Quiet', '--if', 'has attachment', '--then', 'flag', '--off')).stdout).toBe(
      'added rule Quiet (off): if has attachment then flag; applies to every account (--account NAME limits a rule to one account)\n',
    );
    expect((await cli('rules', 'move', '4', '--to', '1')).stdout).toBe('moved rule Quiet to position 1 of 4\n');
    expect((await cli('rules', 'remove', '1')).stdout).toBe('removed rule Quiet\n');
    expect((await onDisk()).map((r) => r.name)).toEqual(['Invoices', 'Lists', 'Big']);
  });

  it('rules duplicate puts a copy right after the rule under the name given, to be changed with rules set', async () => {
    expect((await cli('rules', 'duplicate', 'invoices', 'Invoices for Bob')).stdout).toBe(
      'added rule Invoices for Bob: if subject contains invoice and from matches *@shop.example then move Receipts, mark-read; applies to Alice (position 2 of 4, after Invoices)\n',
    );
    expect((await cli('rules', 'set', 'Invoices for Bob', '--account', 'Bob')).code).toBe(0);
    const taken = await cli('rules', 'duplicate', '1', 'lists');
    expect(taken.code).toBe(2);
    expect(taken.stderr).toContain('there is already a rule named "lists": choose another name');
    expect((await onDisk()).map((r) => [r.name, r.accounts])).toEqual([
      ['Invoices', [ids.Alice]],
      ['Invoices for Bob', [ids.Bob]],
      ['Lists', undefined],
      ['Big', undefined],
    ]);
  });

  it('a rule whose account was removed says so, and how to give it one', async () => {
    expect((await cli('account', 'remove', 'Alice')).code).toBe(0);
    expect((await cli('rules', 'set', 'Invoices', '--off')).stdout).toBe(
      'changed rule Invoices (off): if subject contains invoice and from matches *@shop.example then move Receipts, mark-read; applies to no account (the one it was made for was removed) (--account NAME gives it one)\n',
    );
    expect((await cli('rules', 'set', 'Invoices', '--on', '--account', 'Bob')).stdout).toContain('; applies to Bob\n');
  });
});

const missing = dovecotUnavailable();
if (missing && process.env.CI) throw new Error(`The rules set suite needs: ${missing}`);
if (missing) console.warn(`Skipping rules set against Dovecot: ${missing}`);

(missing ? describe.skip : describe)('a rule changed with rules set, on arrival during popbox sync', () => {
  let dc: DovecotServer;
  let home: string;
  const mail = (to: string, subject: string) => Buffer.from(`From: shop@example.com\nTo: ${to}@example.org\nSubject: ${subject}\nMessage-ID: <${subject.replace(/\W/g, '')}-${to}@example.com>\n\nThanks.\n`);
  const run = (...args: string[]) => runCli(home, ...args);
  const folders = async (account: string) =>
    (JSON.parse((await run('messages', '--account', account, '--json')).stdout) as { subject: string; folder: string }[]).map((m) => `${m.subject} in ${m.folder}`).sort();
  beforeAll(async () => {
    dc = await startDovecot({ users: [{ name: 'alice', password: 'alice-pw' }, { name: 'bob', password: 'bob-pw' }] });
    for (const user of dc.users) await dc.deliver(user, [mail(user, 'Your invoice'), mail(user, 'Hello')]);
    home = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-rules-set-sync-'));
    await addDovecotAccounts(home, dc, (user) => `${user}-pw`);
  }, 120_000);
  afterAll(async () => {
    await dc?.stop();
    if (home) await fs.rm(home, { recursive: true, force: true });
  });

  it("Bob's rule changed to Alice's files Alice's invoice and leaves Bob's in his Inbox", async () => {
    expect((await run('rules', 'add', 'Bills', '--if', 'subject contains invoice', '--then', 'move Receipts', '--account', 'Bob')).code).toBe(0);
    expect((await run('rules', 'add', 'Hello', '--if', 'subject is hello', '--then', 'flag')).code).toBe(0);
    expect((await run('rules', 'set', 'Bills', '--account', 'Alice')).stdout).toBe('changed rule Bills: if subject contains invoice then move Receipts; applies to Alice\n');
    expect((await run('rules', 'list')).stdout.split('\n')[0]).toBe('1. Bills: if subject contains invoice then move Receipts; applies to Alice');
    const synced = await run('sync');
    expect(synced.code, synced.stderr).toBe(0);
    expect(await folders('Alice')).toEqual(['Hello in Inbox', 'Your invoice in Receipts']);
    expect(await folders('Bob')).toEqual(['Hello in Inbox', 'Your invoice in Inbox']);
  });

  it('rules preview lists what a rule would act on, also when it is off, and changes nothing', async () => {
    expect((await run('rules', 'set', 'Bills', '--account', 'Bob', '--off')).code).toBe(0);
    const preview = await run('rules', 'preview', 'Bills');
    expect(preview.code, preview.stderr).toBe(0);
    const lines = preview.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^\S+ {2}Bob {2}Inbox {2}shop@example\.com {2}"Your invoice"$/);
    expect(lines[1]).toBe(
      `1 of 3 messages in every account's Inbox match Bills (off): if subject contains invoice then move Receipts; applies to Bob; nothing was changed (it is off: "popbox rules set Bills --on" runs it on new mail)`,
    );
    const json = JSON.parse((await run('rules', 'preview', '1', '--account', 'Bob', '--json')).stdout) as { account: string; subject: string }[];
    expect(json.map((m) => [m.account, m.subject])).toEqual([['Bob', 'Your invoice']]);
    // An off rule is not run by rules run either: Bob's invoice stays.
    expect((await run('rules', 'run')).code).toBe(0);
    expect(await folders('Bob')).toEqual(['Hello in Inbox', 'Your invoice in Inbox']);
  });

  it('rules run and preview --all-folders reach every folder but Drafts, Outbox and Trash (the screen\'s "all folders")', async () => {
    const stored = async (account: string) => JSON.parse((await run('messages', '--account', account, '--json')).stdout) as { id: string; subject: string; folder: string; seen: boolean }[];
    const bobsHello = (await stored('Bob')).find((m) => m.subject === 'Hello')!;
    expect((await run('trash', bobsHello.id)).code).toBe(0);
    expect((await run('rules', 'add', 'Shop', '--if', 'from is shop@example.com', '--then', 'mark-read')).code).toBe(0);
    const preview = await run('rules', 'preview', 'Shop', '--all-folders');
    expect(preview.stdout.trimEnd().split('\n').at(-1)).toBe(
      "3 of 3 messages in every account's folders except Drafts, Outbox and Trash match Shop: if from is shop@example.com then mark-read; applies to every account; nothing was changed",
    );
    const ran = await run('rules', 'run', '--all-folders');
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stdout.trimEnd().split('\n').at(-1)).toBe('3 messages checked, 3 matched, 0 moved');
    const read = async (account: string) => (await stored(account)).map((m) => `${m.subject} in ${m.folder}: ${m.seen ? 'read' : 'unread'}`).sort();
    expect(await read('Alice')).toEqual(['Hello in Inbox: read', 'Your invoice in Receipts: read']);
    expect(await read('Bob')).toEqual(['Hello in Trash: unread', 'Your invoice in Inbox: read']);
    const both = await run('rules', 'run', '--all-folders', '--folder', 'Inbox');
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('rules run takes message IDs, --folder or --all-folders, one of them');
  });
});
