/** Rules against one stored message: summary fields, a named header and the body read from the file only when asked. */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MessageRecord } from '../../shared/changes.js';
import type { Rule } from '../../shared/rules.js';
import { RuleSubject, ruleMatches } from '../../electron/core/rules/evaluate.js';
import { parseCondition } from '../../electron/core/rules/rule-text.js';
import { planFor } from '../../electron/core/rules/run-rules.js';

const NOW = Date.parse('2026-12-06T00:00:00Z');
let dir: string;
let file: string;
let reads = 0;

const raw = [
  'From: "Ann Example" <ann@shop.example>',
  'To: Bob <bob@home.example>',
  'Cc: carol@home.example',
  'Subject: Your invoice 2026-117',
  'List-Id: Rust users <rust-users.lists.example>',
  'X-Spam-Flag: NO',
  'Subject-Hint: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=',
  'Delivered-To: family@home.example',
  'Date: Tue, 01 Dec 2026 10:00:00 +0000',
  'Content-Type: text/plain; charset=utf-8',
  '',
  'Hello Bob, please find the amount due below. To unsubscribe reply STOP.',
  '',
].join('\r\n');

const record: MessageRecord = {
  id: 'm1',
  accountId: 'acc1',
  uidl: 'u1',
  receivedAt: NOW - 3_600_000,
  partial: false,
  flags: { seen: false, flagged: false },
  folder: 'INBOX',
  summary: {
    subject: 'Your invoice 2026-117',
    from: [{ name: 'Ann Example', address: 'ann@shop.example' }],
    to: [{ name: 'Bob', address: 'bob@home.example' }],
    cc: [{ name: '', address: 'carol@home.example' }],
    date: '2026-12-01T10:00:00.000Z',
    messageId: null,
    inReplyTo: null,
    references: [],
    size: 2_000_000,
    hasAttachments: false,
    snippet: 'Hello Bob',
  },
};

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'rules-eval-'));
  file = path.join(dir, 'msg');
  await fs.writeFile(file, raw);
});
afterAll(() => fs.rm(dir, { recursive: true, force: true }));

function subject(): RuleSubject {
  return new RuleSubject(record, 'Family', async () => {
    reads++;
    return file;
  });
}

const rule = (conditions: string[], match: 'all' | 'any' = 'all', actions: Rule['actions'] = [{ t: 'flag' }]): Rule => ({ name: 'r', enabled: true, match, conditions: conditions.map(parseCondition), actions });
const holds = (...conditions: string[]) => ruleMatches(rule(conditions), subject(), NOW);

describe('conditions on a stored message', () => {
  it.each([
    ['from is ann@shop.example', true],
    ['from is Ann Example', true],
    ['from contains shop.example', true],
    ['from matches *@shop.example', true],
    ['from matches *@other.example', false],
    ['from does not contain shop', false],
    ['to contains bob@', true],
    ['cc is carol@home.example', true],
    ['to does not contain dave', true],
    ['recipient is family@home.example', true],
    ['subject contains INVOICE', true],
    ['subject is your invoice 2026-117', true],
    ['subject matches your invoice ????-???', true],
    ['subject does not contain invoice', false],
    ['header List-Id contains rust-users', true],
    ['header list-id matches *<rust-users.*>', true],
    ['header X-Spam-Flag is yes', false],
    ['header Subject-Hint is Grüße', true],
    ['header X-Missing contains x', false],
    ['header X-Missing does not contain x', true],
    ['body contains amount due', true],
    ['body does not contain unsubscribe', false],
    ['size > 1M', true],
    ['size < 1M', false],
    ['has attachment', false],
    ['no attachment', true],
    ['account is family', true],
    ['age > 4d', true],
    ['age < 4d', false],
  ])('%s → %s', async (c, want) => {
    expect(await holds(c)).toBe(want);
  });

  it('all needs every condition, any one of them', async () => {
    expect(await ruleMatches(rule(['subject contains invoice', 'from is nobody@x'], 'all'), subject(), NOW)).toBe(false);
    expect(await ruleMatches(rule(['subject contains invoice', 'from is nobody@x'], 'any'), subject(), NOW)).toBe(true);
    expect(await ruleMatches({ ...rule(['subject contains invoice']), enabled: false }, subject(), NOW)).toBe(false);
  });

  it('reads the file only for a header or the body, once per message', async () => {
    reads = 0;
    await holds('from is ann@shop.example', 'subject contains invoice', 'size > 1', 'age > 1d');
    expect(reads).toBe(0);
    const s = subject();
    await ruleMatches(rule(['header List-Id contains rust', 'header X-Spam-Flag is NO']), s, NOW);
    await ruleMatches(rule(['header List-Id contains go']), s, NOW);
    expect(reads).toBe(1);
  });

  it('runs rules in order, a later move wins, and stop ends the list', async () => {
    const rules: Rule[] = [
      rule(['subject contains invoice'], 'all', [{ t: 'move', folder: ['Receipts'] }, { t: 'mark-read' }]),
      rule(['from contains shop'], 'all', [{ t: 'move', folder: ['Shops'] }, { t: 'stop' }]),
      rule(['has attachment', 'size > 1'], 'any', [{ t: 'flag' }]),
    ].map((r, i) => ({ ...r, name: `r${i}` }));
    const plan = await planFor(rules, subject(), NOW);
    expect(plan.rules).toEqual(['r0', 'r1']);
    expect(plan.moveTo).toEqual(['Shops']);
    expect(plan.read).toBe(true);
    expect(plan.flag).toBe(false);
  });
});
