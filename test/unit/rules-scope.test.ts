/**
 * A filter's scope (walkthrough m6: a filter made in Alice's settings moved 121 of Bob's
 * messages): a rule with `accounts` runs on those accounts' mail only — on arrival and Run now
 * (runRules) and in the preview — and a forward scoped to an account that can send is not
 * refused for another account that cannot. A rule without a scope (every rules.json written
 * before) still runs on every account.
 */
import { describe, expect, it } from 'vitest';
import type { AccountSettings } from '../../shared/accounts.js';
import type { MessageRecord } from '../../shared/changes.js';
import { RulesFile, type Rule } from '../../shared/rules.js';
import type { FolderService } from '../../electron/core/folders/folder-service.js';
import { refuseUnsendableForwards } from '../../electron/core/rules/forward.js';
import { previewRule, runRules, type RuleRunDeps } from '../../electron/core/rules/run-rules.js';

const message = (id: string, accountId: string): MessageRecord => ({
  id,
  accountId,
  uidl: id,
  receivedAt: 0,
  partial: false,
  flags: { seen: false, flagged: false },
  folder: 'INBOX',
  summary: { subject: `Receipt ${id}`, from: [{ name: '', address: 'shop@example.org' }], to: [], cc: [], date: null, messageId: null, inReplyTo: null, references: [], size: 100, hasAttachments: false, snippet: '' },
});

/** Alice's a1, a2 and Bob's b1 in their Inboxes; moves change the record's folder. */
function mailbox() {
  const byId = new Map([message('a1', 'alice'), message('a2', 'alice'), message('b1', 'bob')].map((m) => [m.id, m]));
  const folders = {
    counts: () => ['INBOX', 'Receipts'].map((key) => ({ folder: { key, path: [key], role: null } })),
    move: async (ids: readonly string[], key: string) => ids.forEach((id) => (byId.get(id)!.folder = key)),
  } as unknown as FolderService;
  const deps: RuleRunDeps = {
    get: (id) => byId.get(id),
    folders,
    setFlags: async () => {},
    deleteOnServer: async () => {},
    locate: async () => '/nonexistent',
    accountName: (id) => (id === 'alice' ? 'Alice' : 'Bob'),
    now: () => 0,
  };
  const where = () => Object.fromEntries([...byId.values()].map((m) => [m.id, m.folder]));
  return { deps, where, ids: [...byId.keys()] };
}

const receipts = (scope?: string[]): Rule => ({ name: 'Receipts', enabled: true, match: 'all', conditions: [{ field: 'subject', op: 'contains', value: 'receipt' }], actions: [{ t: 'move', folder: ['Receipts'] }], ...(scope ? { accounts: scope } : {}) });

describe('a filter’s scope', () => {
  it('a filter for Alice files Alice’s mail only (arrival and Run now run the same way)', async () => {
    const box = mailbox();
    const { outcomes } = await runRules(box.deps, [receipts(['alice'])], box.ids);
    expect(outcomes.map((o) => o.id)).toEqual(['a1', 'a2']);
    expect(box.where()).toEqual({ a1: 'Receipts', a2: 'Receipts', b1: 'INBOX' });
  });

  it('a filter without a scope (as every filter saved before) still runs on every account', async () => {
    const box = mailbox();
    await runRules(box.deps, [receipts()], box.ids);
    expect(box.where()).toEqual({ a1: 'Receipts', a2: 'Receipts', b1: 'Receipts' });
  });

  it('the preview counts the scope’s accounts only', async () => {
    const box = mailbox();
    expect((await previewRule(box.deps, receipts(['bob']), box.ids)).ids).toEqual(['b1']);
    expect((await previewRule(box.deps, receipts(['alice', 'bob']), box.ids)).ids).toEqual(['a1', 'a2', 'b1']);
    // An account removed since: the filter matches nothing rather than everything.
    expect((await previewRule(box.deps, receipts(['gone']), box.ids)).ids).toEqual([]);
  });

  it('rules.json: a file without scopes reads as before; an empty scope or a bad id is refused', () => {
    const old = RulesFile.parse({ version: 1, rules: [receipts()] });
    expect(old.rules[0]).not.toHaveProperty('accounts');
    expect(RulesFile.parse({ version: 1, rules: [receipts(['alice'])] }).rules[0]!.accounts).toEqual(['alice']);
    expect(RulesFile.safeParse({ version: 1, rules: [receipts([])] }).success).toBe(false);
    expect(RulesFile.safeParse({ version: 1, rules: [receipts(['../bob'])] }).success).toBe(false);
  });

  it('a forward for Alice, who can send, is not refused because Bob has no outgoing server', () => {
    const accounts = [
      { id: 'alice', name: 'Alice', smtp: { host: 'smtp.example.org' } },
      { id: 'bob', name: 'Bob', smtp: null },
    ] as unknown as AccountSettings[];
    const forward = (scope?: string[]): Rule => ({ ...receipts(scope), actions: [{ t: 'forward', to: 'me@example.org' }] });
    expect(() => refuseUnsendableForwards([forward(['alice'])], [], accounts)).not.toThrow();
    expect(() => refuseUnsendableForwards([forward()], [], accounts)).toThrow(/the account “Bob” has no outgoing server/);
    expect(() => refuseUnsendableForwards([forward(['bob'])], [], accounts)).toThrow(/the account “Bob” has no outgoing server to send it with: set one up in its settings\.$/);
  });
});
