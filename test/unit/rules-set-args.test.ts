/** The words of `popbox rules set` (and add's --off): what each option changes, and bad input named in the answer. */
import { describe, expect, it } from 'vitest';
import { parseAddArgs, parseSetArgs } from '../../electron/cli/rules.js';

describe('rules set arguments', () => {
  it('holds only the parts typed: the rest of the rule stays as it is', () => {
    expect(parseSetArgs(['Bills', '--account', 'Alice'])).toEqual({ name: 'Bills', conditions: [], actions: [], accounts: ['Alice'], everyAccount: false });
    expect(parseSetArgs(['2', '--every-account', '--off'])).toEqual({ name: '2', conditions: [], actions: [], accounts: [], everyAccount: true, enabled: false });
    expect(parseSetArgs(['Bills', '--on'])).toMatchObject({ enabled: true });
    expect(parseSetArgs(['Bills', '--any'])).toMatchObject({ match: 'any', conditions: [] });
  });
  it('replaces conditions after --if and actions after --then; --account anywhere leaves those runs as they were', () => {
    expect(parseSetArgs(['Bills', '--name=Receipts', '--if', 'subject contains invoice', '--account', 'Bob', 'from is a@b.c', '--all', '--then', 'move Receipts', '--account=Alice'])).toEqual({
      name: 'Bills',
      rename: 'Receipts',
      match: 'all',
      conditions: ['subject contains invoice', 'from is a@b.c'],
      actions: ['move Receipts'],
      accounts: ['Bob', 'Alice'],
      everyAccount: false,
    });
    expect(parseSetArgs(['Bills', '--name', 'Shop bills'])).toMatchObject({ rename: 'Shop bills' });
  });
  it('says what is wrong, and refuses a set that changes nothing', () => {
    expect(() => parseSetArgs(['Bills'])).toThrow(/rules set: nothing to change \(give --name, --if/);
    expect(() => parseSetArgs(['--off'])).toThrow(/rules set needs the RULE to change: its name, or its number/);
    expect(() => parseSetArgs(['Bills', '--if', '--then', 'flag'])).toThrow(/--if needs at least one condition after it/);
    expect(() => parseSetArgs(['Bills', '--then'])).toThrow(/--then needs at least one action after it/);
    expect(() => parseSetArgs(['Bills', '--account'])).toThrow(/rules set --account needs the name of an account/);
    expect(() => parseSetArgs(['Bills', '--account', 'Alice', '--every-account'])).toThrow(/rules set takes --account or --every-account, not both/);
    expect(() => parseSetArgs(['Bills', '--on', '--off'])).toThrow(/--on or --off, not both/);
    expect(() => parseSetArgs(['Bills', '--name'])).toThrow(/--name needs the new name/);
    expect(() => parseSetArgs(['Bills', 'Receipts', '--off'])).toThrow(/rules set takes one RULE; "Receipts" came before --if/);
    expect(() => parseSetArgs(['Bills', '--scope', 'Alice'])).toThrow(/rules set does not know the option --scope/);
  });
});

describe('rules add --off', () => {
  it('adds a rule that is saved but not run; without it the rule is on', () => {
    expect(parseAddArgs(['Bills', '--if', 'has attachment', '--then', 'flag', '--off'])).toMatchObject({ enabled: false });
    expect(parseAddArgs(['Bills', '--if', 'has attachment', '--then', 'flag']).enabled).toBeUndefined();
    expect(() => parseAddArgs(['Bills', '--if', 'x', '--then', 'flag', '--name', 'Y'])).toThrow(/rules add does not know the option --name/);
  });
});
