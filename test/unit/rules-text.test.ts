/** The words of `popbox rules add`: what each condition and action means, and bad input named in the answer. */
import { describe, expect, it } from 'vitest';
import { Condition } from '../../shared/rules.js';
import { describeAction, describeCondition, parseAction, parseCondition } from '../../electron/core/rules/rule-text.js';
import { parseAddArgs } from '../../electron/cli/rules.js';

describe('conditions as typed', () => {
  it.each([
    ['subject contains invoice', { field: 'subject', op: 'contains', value: 'invoice' }],
    ['from is a@b.c', { field: 'from', op: 'is', value: 'a@b.c' }],
    ['Subject does not contain "weekly digest"', { field: 'subject', op: 'not-contains', value: 'weekly digest' }],
    ['to matches *@lists.example.org', { field: 'to-cc', op: 'matches', value: '*@lists.example.org' }],
    ['recipient contains me@home', { field: 'recipient', op: 'contains', value: 'me@home' }],
    ['body contains unsubscribe', { field: 'body', op: 'contains', value: 'unsubscribe' }],
    ['account is Family', { field: 'account', op: 'is', value: 'Family' }],
    ['header List-Id contains rust', { field: 'header', name: 'List-Id', op: 'contains', value: 'rust' }],
    ['size > 1M', { field: 'size', op: '>', bytes: 1024 * 1024 }],
    ['size < 20k', { field: 'size', op: '<', bytes: 20 * 1024 }],
    ['size > 1.5MB', { field: 'size', op: '>', bytes: 1572864 }],
    ['age > 30d', { field: 'age', op: '>', days: 30 }],
    ['has attachment', { field: 'attachment', has: true }],
    ['no attachments', { field: 'attachment', has: false }],
  ])('%s', (text, want) => {
    expect(parseCondition(text)).toEqual(want);
  });

  it('reads back what it describes', () => {
    for (const text of ['subject contains "big invoice"', 'header X-Spam-Flag is YES', 'size > 1048576', 'age < 2d', 'has attachment', 'from does not contain @example.com']) {
      const c = parseCondition(text);
      expect(parseCondition(describeCondition(c))).toEqual(c);
    }
  });

  it.each([
    ['colour is red', /“colour” is not something a rule can look at/],
    ['subject resembles invoice', /“resembles” is not an operator/],
    ['subject contains', /“contains” is not an operator|nothing to compare/],
    ['size > lots', /expected > or < and a number/],
    ['size > 3 parsecs', /“parsecs” is not a size unit/],
    ['header List:Id contains x', /“List:Id” is not a header name/],
    ['has money', /has attachment/],
    ['age > 3 weeks', /“weeks” is not a unit of age/],
  ])('%s is refused in words', (text, why) => {
    expect(() => parseCondition(text)).toThrow(why);
    expect(() => parseCondition(text)).toThrow(JSON.stringify(text));
  });

  it('refuses a pattern longer than the bound', () => {
    expect(() => parseCondition(`subject matches ${'*a'.repeat(200)}`)).toThrow(/longer than 256/);
    expect(Condition.safeParse({ field: 'subject', op: 'matches', value: 'x'.repeat(257) }).success).toBe(false);
  });
});

describe('actions as typed', () => {
  it.each([
    ['move Receipts', { t: 'move', folder: ['Receipts'] }],
    ['move Work/Projects', { t: 'move', folder: ['Work', 'Projects'] }],
    ['copy Archive', { t: 'copy', folder: ['Archive'] }],
    ['mark-read', { t: 'mark-read' }],
    ['flag', { t: 'flag' }],
    ['junk', { t: 'junk' }],
    ['delete', { t: 'delete' }],
    ['stop', { t: 'stop' }],
    ['delete-on-server', { t: 'delete-on-server' }],
    ['forward bob@example.com', { t: 'forward', to: 'bob@example.com' }],
  ])('%s', (text, want) => {
    expect(parseAction(text)).toEqual(want);
    expect(parseAction(describeAction(parseAction(text)))).toEqual(want);
  });

  it('names what it did not understand', () => {
    expect(() => parseAction('redirect bob@example.com')).toThrow(/“redirect” is not an action/);
    expect(() => parseAction('forward bob')).toThrow(/needs one address/);
    expect(() => parseAction('move')).toThrow(/needs a folder/);
    expect(() => parseAction('flag red')).toThrow(/takes nothing after it \(got "red"\)/);
    expect(() => parseAction('delete-on-server now')).toThrow(/takes nothing after it/);
  });
});

describe('rules add arguments', () => {
  it('collects conditions after --if and actions after --then', () => {
    expect(parseAddArgs(['Bills', '--if', 'subject contains invoice', 'from is a@b.c', '--any', '--then', 'move Receipts', 'mark-read'])).toEqual({
      name: 'Bills',
      match: 'any',
      conditions: ['subject contains invoice', 'from is a@b.c'],
      actions: ['move Receipts', 'mark-read'],
      accounts: [],
      everyAccount: false,
    });
  });
  it('collects --account (repeated, anywhere, NAME or =NAME) without breaking a run of conditions or actions', () => {
    expect(parseAddArgs(['Bills', '--if', 'subject contains invoice', '--account', 'Alice', 'from is a@b.c', '--then', 'flag', '--account=Bob'])).toMatchObject({
      conditions: ['subject contains invoice', 'from is a@b.c'],
      actions: ['flag'],
      accounts: ['Alice', 'Bob'],
      everyAccount: false,
    });
    expect(parseAddArgs(['Bills', '--if', 'has attachment', '--then', 'flag', '--every-account'])).toMatchObject({ accounts: [], everyAccount: true });
    expect(() => parseAddArgs(['Bills', '--if', 'x', '--then', 'flag', '--account'])).toThrow(/--account needs the name of an account/);
    expect(() => parseAddArgs(['Bills', '--if', 'x', '--account', '--then', 'flag'])).toThrow(/--account needs the name of an account/);
    expect(() => parseAddArgs(['Bills', '--if', 'x', '--then', 'flag', '--account', 'Alice', '--every-account'])).toThrow(/--account or --every-account, not both/);
  });
  it('says what is missing', () => {
    expect(() => parseAddArgs(['Bills', '--then', 'flag'])).toThrow(/at least one condition after --if/);
    expect(() => parseAddArgs(['Bills', '--if', 'has attachment'])).toThrow(/at least one action after --then/);
    expect(() => parseAddArgs(['--if', 'has attachment', '--then', 'flag'])).toThrow(/needs a NAME/);
    expect(() => parseAddArgs(['Bills', '--if', 'x', '--then', 'flag', '--every'])).toThrow(/does not know the option --every/);
  });
});
