/**
 * A filter in one line of plain words, as the list shows it ("If the subject contains
 * “invoice”: move to Receipts, mark as read"). The CLI's `rules list` says the same in the
 * words it reads back (core/rules/rule-text.ts); this is its counterpart for people.
 */
import type { Action, Condition, Rule, TextOp } from '../../../../shared/rules.js';
import { folderText } from './form.js';

const OP: Record<TextOp, string> = { contains: 'contains', 'not-contains': 'does not contain', is: 'is', matches: 'matches' };
const FIELD: Record<string, string> = { from: 'the sender', 'to-cc': 'To or Cc', recipient: 'any recipient', subject: 'the subject', body: 'the body', account: 'the account' };

/** 1536 → "1.5 KB": the size as people say it. */
export function sizeWords(bytes: number): string {
  for (const [unit, n] of [['GB', 1024 ** 3], ['MB', 1024 ** 2], ['KB', 1024]] as const) {
    if (bytes >= n) return `${Math.round((bytes / n) * 100) / 100} ${unit}`;
  }
  return `${bytes} byte${bytes === 1 ? '' : 's'}`;
}

export function conditionWords(c: Condition): string {
  switch (c.field) {
    case 'size':
      return `the size is ${c.op === '>' ? 'over' : 'under'} ${sizeWords(c.bytes)}`;
    case 'age':
      return `it is ${c.op === '>' ? 'older' : 'newer'} than ${c.days} day${c.days === 1 ? '' : 's'}`;
    case 'attachment':
      return c.has ? 'it has an attachment' : 'it has no attachment';
    case 'header':
      return `the header ${c.name} ${OP[c.op]} “${c.value}”`;
    default:
      return `${FIELD[c.field]} ${OP[c.op]} “${c.value}”`;
  }
}

export function actionWords(a: Action): string {
  switch (a.t) {
    case 'move':
      return `move to ${folderText(a.folder)}`;
    case 'copy':
      return `copy to ${folderText(a.folder)}`;
    case 'mark-read':
      return 'mark as read';
    case 'flag':
      return 'flag';
    case 'junk':
      return 'move to Junk';
    case 'delete':
      return 'delete (to Trash)';
    case 'delete-on-server':
      return 'delete from the server';
    case 'forward':
      return `forward to ${a.to}`;
    case 'stop':
      return 'stop';
  }
}

export function ruleWords(r: Rule): string {
  const conditions = r.conditions.map(conditionWords).join(r.match === 'all' ? ' and ' : ' or ');
  const text = `If ${conditions}: ${r.actions.map(actionWords).join(', ')}.`;
  return r.enabled ? text : `${text} (off)`;
}
