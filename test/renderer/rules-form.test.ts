/**
 * The filter editor's model (renderer/src/features/rules): a rule as form rows and back, the
 * problems said as the person types, the one-line summary, and where main's refusal belongs.
 */
import { describe, expect, it } from 'vitest';
import type { Rule } from '../../shared/rules.js';
import { actionOf, blankForm, checkForm, conditionOf, copyName, formOf, placeOfError, previewable, withField, type RuleForm } from '../../renderer/src/features/rules/form.js';
import { previewCountText } from '../../renderer/src/features/rules/RulePreview.js';
import { runResultText } from '../../renderer/src/features/rules/RunNow.js';
import { ruleWords } from '../../renderer/src/features/rules/summary.js';

const EVERY: Rule = {
  name: 'Everything',
  enabled: false,
  match: 'any',
  conditions: [
    { field: 'from', op: 'is', value: 'a@b.c' },
    { field: 'to-cc', op: 'contains', value: 'team' },
    { field: 'recipient', op: 'not-contains', value: 'me@x.org' },
    { field: 'subject', op: 'matches', value: 'invoice-*' },
    { field: 'header', name: 'List-Id', op: 'contains', value: 'rust' },
    { field: 'body', op: 'contains', value: 'unsubscribe' },
    { field: 'size', op: '>', bytes: 1.5 * 1024 * 1024 },
    { field: 'size', op: '<', bytes: 1000 },
    { field: 'attachment', has: false },
    { field: 'account', op: 'is', value: 'Home' },
    { field: 'age', op: '>', days: 30 },
  ],
  actions: [{ t: 'move', folder: ['Work', 'a/b'] }, { t: 'copy', folder: ['Archive'] }, { t: 'mark-read' }, { t: 'flag' }, { t: 'junk' }, { t: 'delete' }, { t: 'delete-on-server' }, { t: 'forward', to: 'bob@example.org' }, { t: 'stop' }],
};

describe('rule ↔ form rows', () => {
  it('every condition and action comes back the same from its rows', () => {
    const form = formOf(EVERY);
    expect(form.conditions[6]).toMatchObject({ field: 'size', op: '>', value: '1.5', unit: 'MB' });
    expect(form.conditions[7]).toMatchObject({ field: 'size', op: '<', value: '1000', unit: 'bytes' });
    expect(form.conditions[8]).toMatchObject({ field: 'attachment', op: 'has-no' });
    expect(form.actions[0]).toEqual({ t: 'move', folder: 'Work/a\\/b' });
    const { rule, problems } = checkForm(form, []);
    expect(problems.conditions.every((p) => p === null) && problems.actions.every((p) => p === null) && problems.name === null).toBe(true);
    expect(rule).toEqual(EVERY);
  });

  it('a size typed with a unit is bytes; the Inbox is a destination; a header name loses a typed colon', () => {
    expect(conditionOf({ field: 'size', op: '>', header: '', value: '2', unit: 'KB' })).toEqual({ ok: true, value: { field: 'size', op: '>', bytes: 2048 } });
    expect(actionOf({ t: 'move', folder: 'inbox' })).toEqual({ ok: true, value: { t: 'move', folder: ['Inbox'] } });
    expect(conditionOf({ field: 'header', op: 'is', header: 'X-Spam-Flag:', value: 'YES', unit: 'KB' })).toEqual({ ok: true, value: { field: 'header', name: 'X-Spam-Flag', op: 'is', value: 'YES' } });
  });

  it('a forward needs one address, said next to its row', () => {
    expect(actionOf({ t: 'forward', folder: '', to: ' bob@example.org ' })).toEqual({ ok: true, value: { t: 'forward', to: 'bob@example.org' } });
    expect(actionOf({ t: 'forward', folder: '' })).toEqual({ ok: false, problem: 'Type the address to forward to, as in bob@example.org.' });
    expect(actionOf({ t: 'forward', folder: '', to: 'bob@example.org, eve@example.org' })).toMatchObject({ ok: false, problem: expect.stringContaining('is not an email address') });
    expect(ruleWords({ name: 'F', enabled: true, match: 'all', conditions: [{ field: 'subject', op: 'contains', value: 'x' }], actions: [{ t: 'forward', to: 'bob@example.org' }] })).toBe('If the subject contains “x”: forward to bob@example.org.');
  });

  it('changing the field keeps a fitting operator', () => {
    const row = { field: 'subject' as const, op: 'matches', header: '', value: 'x', unit: 'KB' as const };
    expect(withField(row, 'from')).toMatchObject({ field: 'from', op: 'matches', value: 'x' });
    expect(withField(row, 'size')).toMatchObject({ field: 'size', op: '>', value: '' });
    expect(withField(row, 'attachment')).toMatchObject({ field: 'attachment', op: 'has' });
    expect(withField(withField(row, 'age'), 'body')).toMatchObject({ field: 'body', op: 'contains' });
  });
});

describe('problems in plain words', () => {
  const base = (): RuleForm => ({ ...blankForm('Receipts'), conditions: [{ field: 'subject', op: 'contains', header: '', value: 'receipt', unit: 'KB' }], actions: [{ t: 'move', folder: 'Receipts' }] });

  it('a complete filter has none', () => {
    expect(checkForm(base(), ['Other']).rule).not.toBeNull();
  });

  it('names what is wrong, row by row', () => {
    const f = base();
    f.name = ' ';
    f.conditions = [
      { field: 'subject', op: 'contains', header: '', value: '', unit: 'KB' },
      { field: 'subject', op: 'matches', header: '', value: 'x'.repeat(300), unit: 'KB' },
      { field: 'header', op: 'contains', header: 'X Spam', value: 'yes', unit: 'KB' },
      { field: 'size', op: '>', header: '', value: '1,5', unit: 'MB' },
      { field: 'age', op: '>', header: '', value: '', unit: 'KB' },
    ];
    f.actions = [{ t: 'stop', folder: '' }, { t: 'copy', folder: '' }, { t: 'move', folder: ' x/ Inbox' }];
    const { rule, problems } = checkForm(f, []);
    expect(rule).toBeNull();
    expect(problems.name).toBe('Give the filter a name.');
    expect(problems.conditions).toEqual([
      'Type the text to look for: an empty value would match every message.',
      'The text to look for is at most 256 characters (this one has 300).',
      '“X Spam” is not a header name: use letters, digits and dashes, without spaces or a colon (as in List-Id).',
      '“1,5” is not a number: use digits, as in 1.5.',
      'Type a number of days, as in 30.',
    ]);
    expect(problems.actions).toEqual(['Put “Stop” last: the actions after it would not run.', 'Choose or type the folder to copy to.', null]);
  });

  it('a second filter of the same name (any case) is refused', () => {
    expect(checkForm(base(), ['receipts']).problems.name).toBe('There is already a filter named “Receipts”: choose another name.');
  });

  it('the preview needs complete conditions only', () => {
    const f = base();
    f.actions = [{ t: 'move', folder: '' }];
    expect(previewable(f)?.conditions).toEqual([{ field: 'subject', op: 'contains', value: 'receipt' }]);
    f.conditions[0]!.value = '';
    expect(previewable(f)).toBeNull();
  });

  it('a copy gets a name no filter has', () => {
    expect(copyName('News', ['News', 'News (copy)'])).toBe('News (copy 2)');
  });

  it('main’s refusal is placed on its filter and row', () => {
    expect(placeOfError('saveRules: rules[2].conditions[1].value: Too big: expected string to have <=256 characters')).toEqual({ rule: 2, part: 'condition', row: 1, text: 'Too big: expected string to have <=256 characters.' });
    expect(placeOfError('SaveRules: rules[0].name: Too small')).toMatchObject({ rule: 0, part: 'name', row: null });
    expect(placeOfError('saveRules: rules: two rules are named “A”')).toMatchObject({ rule: null, text: 'Two rules are named “A”.' });
  });
});

describe('words on the screen', () => {
  it('the summary reads as a sentence', () => {
    expect(ruleWords(EVERY)).toBe(
      'If the sender is “a@b.c” or To or Cc contains “team” or any recipient does not contain “me@x.org” or the subject matches “invoice-*” or the header List-Id contains “rust” or the body contains “unsubscribe” or the size is over 1.5 MB or the size is under 1000 bytes or it has no attachment or the account is “Home” or it is older than 30 days: move to Work/a\\/b, copy to Archive, mark as read, flag, move to Junk, delete (to Trash), delete from the server, forward to bob@example.org, stop. (off)',
    );
  });

  it('preview counts and run results', () => {
    expect(previewCountText(0, false, 'inbox')).toBe('No stored message in the Inbox matches.');
    expect(previewCountText(1, false, 'inbox')).toBe('1 stored message in the Inbox matches.');
    expect(previewCountText(3, false, 'all')).toBe('3 stored messages in these folders match.');
    expect(previewCountText(1000, true, 'inbox')).toBe('More than 1,000 stored messages in the Inbox match.');
    expect(previewCountText(12, true, 'inbox')).toMatch(/^12 stored messages in the Inbox match among the newest 5,000/);
    expect(runResultText(6, [])).toBe('Checked 6 messages: no filter matched.');
    expect(runResultText(6, [{ id: 'a', subject: 's', rules: ['R'], movedTo: 'Receipts', copiedTo: [], markedRead: true, flagged: false }])).toBe('Checked 6 messages: 1 matched (1 moved, 1 marked read).');
  });
});
