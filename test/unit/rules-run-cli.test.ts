/**
 * `popbox rules run` over a folder holding more messages than one run of the rules takes
 * (MAX_RUN_IDS): the command goes through them all instead of stopping with "choose fewer",
 * which a CLI user could not do for one Inbox. The service is a stand-in holding the mail in
 * memory; its runRules refuses more than MAX_RUN_IDS ids at once, as the real one does.
 */
import { describe, expect, it } from 'vitest';
import type { RuleOutcome } from '../../shared/rules.js';
import { runCli } from '../../electron/cli/run.js';
import { AppFailure } from '../../electron/core/errors.js';
import type { MailService } from '../../electron/core/mail-service.js';
import { MAX_RUN_IDS } from '../../electron/core/rules/run-rules.js';

function inboxOf(count: number) {
  const accounts = [{ id: 'acc-alice', name: 'Alice' }];
  const messages = Array.from({ length: count }, (_, i) => ({ id: `m${i}`, accountId: 'acc-alice', folder: 'INBOX', summary: { subject: 'Receipt' } }));
  const byId = new Map(messages.map((m) => [m.id, m]));
  const runs: number[] = [];
  const service = {
    listAccounts: () => accounts,
    accounts: { get: (name: string) => accounts.find((a) => a.name === name) },
    messages: () => messages,
    journal: { get: (id: string) => byId.get(id) },
    on: () => () => {},
    runRules: async (ids: readonly string[]): Promise<RuleOutcome[]> => {
      if (ids.length > MAX_RUN_IDS) throw new AppFailure('invalid', `Rules run on at most ${MAX_RUN_IDS} messages at a time; choose fewer (a folder at a time).`);
      runs.push(ids.length);
      return ids.map((id) => ({ id, subject: 'Receipt', rules: ['Receipts'], movedTo: 'Receipts', copiedTo: [], markedRead: false, flagged: false }));
    },
  } as unknown as MailService;
  return { service, runs };
}

describe('popbox rules run over a big Inbox', () => {
  it(`runs the rules over all of it, MAX_RUN_IDS (${MAX_RUN_IDS}) at a time`, async () => {
    const { service, runs } = inboxOf(MAX_RUN_IDS * 2 + 1);
    const out: string[] = [];
    const err: string[] = [];
    const io = { out: (t: string) => void out.push(t), err: (t: string) => void err.push(t), columns: 100, stdin: () => undefined, service };
    expect(await runCli(['--data-dir', '/nonexistent', 'rules', 'run'], io)).toBe(0);
    expect(err).toEqual([]);
    expect(out.at(-1)).toBe(`${MAX_RUN_IDS * 2 + 1} messages checked, ${MAX_RUN_IDS * 2 + 1} matched, ${MAX_RUN_IDS * 2 + 1} moved\n`);
    expect(runs).toEqual([MAX_RUN_IDS, MAX_RUN_IDS, 1]);
  });
});
