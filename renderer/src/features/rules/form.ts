/**
 * The filter editor's model: a rule (shared/rules.ts) as rows of text the person edits, and
 * back. Validation is done here, as the person types, in plain words naming the row; main
 * checks again on save (the renderer is untrusted), and what it says lands next to the field.
 */
import { folderPathProblem, parseFolderArg } from '../../../../shared/folders.js';
import { ForwardAddress, HeaderName, MAX_PATTERN_CHARS, Rule, ruleNameKey, sameRuleName, type Action, type Condition, type TextOp } from '../../../../shared/rules.js';

export type FieldChoice = 'from' | 'to-cc' | 'recipient' | 'subject' | 'header' | 'body' | 'size' | 'attachment' | 'account' | 'age';
export type SizeUnit = 'bytes' | 'KB' | 'MB' | 'GB';

/** What the field select offers, in its order. */
export const FIELD_LABELS: readonly [FieldChoice, string][] = [
  ['from', 'From'],
  ['to-cc', 'To or Cc'],
  ['recipient', 'Any recipient'],
  ['subject', 'Subject'],
  ['header', 'Header named…'],
  ['body', 'Body text'],
  ['size', 'Size'],
  ['attachment', 'Attachment'],
  ['account', 'Account'],
  ['age', 'Age'],
];

export const TEXT_OPS: readonly [TextOp, string][] = [
  ['contains', 'contains'],
  ['not-contains', 'does not contain'],
  ['is', 'is'],
  ['matches', 'matches'],
];

export const SIZE_UNITS: readonly SizeUnit[] = ['bytes', 'KB', 'MB', 'GB'];
const UNIT_BYTES: Record<SizeUnit, number> = { bytes: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3 };

export interface ConditionRow {
  field: FieldChoice;
  /** A TextOp for text fields; '>' or '<' for size and age; 'has' or 'has-no' for attachments. */
  op: string;
  /** The header's name (field 'header'). */
  header: string;
  /** The text, or the number for size and age. */
  value: string;
  unit: SizeUnit;
}

export type ActionKind = Action['t'];

export const ACTION_LABELS: readonly [ActionKind, string][] = [
  ['move', 'Move to folder'],
  ['copy', 'Copy to folder'],
  ['mark-read', 'Mark as read'],
  ['flag', 'Flag'],
  ['junk', 'Move to Junk'],
  ['delete', 'Delete (to Trash)'],
  ['delete-on-server', 'Delete from the server'],
  ['forward', 'Forward to'],
  ['stop', 'Stop processing more filters'],
];

export interface ActionRow {
  t: ActionKind;
  /** Move and copy: the folder as typed, "Work/Projects" (`\/` for a slash inside a name). */
  folder: string;
  /** Forward: the address as typed. */
  to?: string;
}

export interface RuleForm {
  name: string;
  enabled: boolean;
  match: 'all' | 'any';
  conditions: ConditionRow[];
  actions: ActionRow[];
  /** The accounts (ids) whose mail it runs on; null: every account. */
  accounts: string[] | null;
}

export interface FormProblems {
  name: string | null;
  conditions: (string | null)[];
  actions: (string | null)[];
}

export const blankCondition = (): ConditionRow => ({ field: 'subject', op: 'contains', header: '', value: '', unit: 'KB' });
export const blankAction = (): ActionRow => ({ t: 'move', folder: '' });
/** A new filter: scoped to the account whose settings it is made from (null: every account). */
export const blankForm = (name = '', account: string | null = null): RuleForm => ({ name, enabled: true, match: 'all', conditions: [blankCondition()], actions: [blankAction()], accounts: account === null ? null : [account] });

/** The scope as the rule stores it: absent for every account. */
const scopeOf = (form: Pick<RuleForm, 'accounts'>) => (form.accounts === null ? {} : { accounts: form.accounts });

const isTextField = (f: FieldChoice) => f !== 'size' && f !== 'age' && f !== 'attachment';

/** The row after the field select changed: an operator that fits the new field. */
export function withField(row: ConditionRow, field: FieldChoice): ConditionRow {
  if (isTextField(field)) return { ...row, field, op: isTextField(row.field) ? row.op : 'contains', ...(isTextField(row.field) ? {} : { value: '' }) };
  if (field === 'attachment') return { ...row, field, op: 'has', value: '' };
  return { ...row, field, op: '>', value: row.field === field ? row.value : '', unit: row.unit };
}

/** A folder path as typed back ("Work/Projects"), the inverse of parseFolderArg. */
export const folderText = (path: readonly string[]): string => path.map((n) => n.replace(/\//g, '\\/')).join('/');

const numberText = (n: number) => String(Math.round(n * 1000) / 1000);

/** The largest unit that shows the size exactly, with at most three decimals ("1.5 MB"). */
function sizeRow(bytes: number): Pick<ConditionRow, 'value' | 'unit'> {
  for (const unit of ['GB', 'MB', 'KB'] as const) {
    const text = numberText(bytes / UNIT_BYTES[unit]);
    if (bytes >= UNIT_BYTES[unit] && Math.round(Number(text) * UNIT_BYTES[unit]) === bytes) return { value: text, unit };
  }
  return { value: String(bytes), unit: 'bytes' };
}

export function conditionRow(c: Condition): ConditionRow {
  const base = blankCondition();
  switch (c.field) {
    case 'size':
      return { ...base, field: 'size', op: c.op, ...sizeRow(c.bytes) };
    case 'age':
      return { ...base, field: 'age', op: c.op, value: numberText(c.days) };
    case 'attachment':
      return { ...base, field: 'attachment', op: c.has ? 'has' : 'has-no' };
    case 'header':
      return { ...base, field: 'header', op: c.op, header: c.name, value: c.value };
    default:
      return { ...base, field: c.field, op: c.op, value: c.value };
  }
}

export function actionRow(a: Action): ActionRow {
  if (a.t === 'forward') return { t: a.t, folder: '', to: a.to };
  return a.t === 'move' || a.t === 'copy' ? { t: a.t, folder: folderText(a.folder) } : { t: a.t, folder: '' };
}

export function formOf(rule: Rule): RuleForm {
  return { name: rule.name, enabled: rule.enabled, match: rule.match, conditions: rule.conditions.map(conditionRow), actions: rule.actions.map(actionRow), accounts: rule.accounts ?? null };
}

const NUMBER = /^\d+(\.\d+)?$/;

/** The row as a condition, or why it cannot be one (in words that name what to fix). */
export function conditionOf(row: ConditionRow): { ok: true; value: Condition } | { ok: false; problem: string } {
  const fail = (problem: string) => ({ ok: false as const, problem });
  if (row.field === 'attachment') return { ok: true, value: { field: 'attachment', has: row.op !== 'has-no' } };
  if (row.field === 'size' || row.field === 'age') {
    const text = row.value.trim();
    if (text === '') return fail(row.field === 'size' ? 'Type a size, as in 1.5 (MB).' : 'Type a number of days, as in 30.');
    if (!NUMBER.test(text)) return fail(`“${text}” is not a number: use digits, as in ${row.field === 'size' ? '1.5' : '30'}.`);
    const n = Number(text);
    const op = row.op === '<' ? '<' : '>';
    if (row.field === 'age') return n > 100_000 ? fail('An age is at most 100,000 days.') : { ok: true, value: { field: 'age', op, days: n } };
    const bytes = Math.round(n * UNIT_BYTES[row.unit]);
    return bytes > Number.MAX_SAFE_INTEGER ? fail('That size is too large.') : { ok: true, value: { field: 'size', op, bytes } };
  }
  const op = (TEXT_OPS.find(([o]) => o === row.op)?.[0] ?? 'contains') as TextOp;
  if (row.value.trim() === '') return fail(row.field === 'header' && row.header.trim() === '' ? 'Type the header’s name and the text to look for.' : 'Type the text to look for: an empty value would match every message.');
  if (row.value.length > MAX_PATTERN_CHARS) return fail(`The text to look for is at most ${MAX_PATTERN_CHARS} characters (this one has ${row.value.length}).`);
  if (row.field === 'header') {
    const name = row.header.trim().replace(/:$/, '');
    if (name === '') return fail('Type the header’s name, as in List-Id.');
    if (!HeaderName.safeParse(name).success) return fail(`“${name}” is not a header name: use letters, digits and dashes, without spaces or a colon (as in List-Id).`);
    return { ok: true, value: { field: 'header', name, op, value: row.value } };
  }
  return { ok: true, value: { field: row.field, op, value: row.value } };
}

export function actionOf(row: ActionRow): { ok: true; value: Action } | { ok: false; problem: string } {
  if (row.t === 'forward') {
    const to = (row.to ?? '').trim();
    if (to === '') return { ok: false, problem: 'Type the address to forward to, as in bob@example.org.' };
    if (!ForwardAddress.safeParse(to).success) return { ok: false, problem: `“${to}” is not an email address: type one address, as in bob@example.org.` };
    return { ok: true, value: { t: 'forward', to } };
  }
  if (row.t !== 'move' && row.t !== 'copy') return { ok: true, value: { t: row.t } };
  const path = parseFolderArg(row.folder);
  if (path.length === 0) return { ok: false, problem: `Choose or type the folder to ${row.t} to.` };
  // The Inbox is a fine destination; every other name follows the rules for new folders.
  const isInbox = path.length === 1 && path[0]!.toLowerCase() === 'inbox';
  const problem = isInbox ? null : folderPathProblem(path);
  if (problem) return { ok: false, problem };
  return { ok: true, value: { t: row.t, folder: isInbox ? ['Inbox'] : path } };
}

export function nameProblem(name: string, otherNames: readonly string[]): string | null {
  const n = name.trim();
  if (n === '') return 'Give the filter a name.';
  if (n.length > 100) return 'A filter’s name is at most 100 characters.';
  if (otherNames.some((o) => sameRuleName(o, n))) return `There is already a filter named “${n}”: choose another name.`;
  return null;
}

/** Every problem of the form, per row; `rule` only when there are none. */
export function checkForm(form: RuleForm, otherNames: readonly string[]): { problems: FormProblems; rule: Rule | null } {
  const conditions = form.conditions.map(conditionOf);
  const actions = form.actions.map(actionOf);
  const problems: FormProblems = {
    name: nameProblem(form.name, otherNames),
    conditions: conditions.map((c) => (c.ok ? null : c.problem)),
    actions: actions.map((a) => (a.ok ? null : a.problem)),
  };
  const stops = form.actions.findIndex((a) => a.t === 'stop');
  if (form.actions.length > 1 && stops !== -1 && stops < form.actions.length - 1) problems.actions[stops] ??= 'Put “Stop” last: the actions after it would not run.';
  if (!hasProblems(problems)) {
    const parsed = Rule.safeParse({ name: form.name.trim(), enabled: form.enabled, match: form.match, conditions: conditions.map((c) => c.ok && c.value), actions: actions.map((a) => a.ok && a.value), ...scopeOf(form) });
    if (parsed.success) return { problems, rule: parsed.data };
    problems.name = `This filter cannot be saved: ${parsed.error.issues[0]?.message ?? 'unknown problem'}.`;
  }
  return { problems, rule: null };
}

export const hasProblems = (p: FormProblems): boolean => p.name !== null || p.conditions.some((x) => x !== null) || p.actions.some((x) => x !== null);

/** A rule with a conditions-only check (and its scope): enough for the preview while actions are unfinished. */
export function previewable(form: RuleForm): Rule | null {
  const conditions = form.conditions.map(conditionOf);
  if (conditions.some((c) => !c.ok)) return null;
  const parsed = Rule.safeParse({ name: 'preview', enabled: true, match: form.match, conditions: conditions.map((c) => c.ok && c.value), actions: [{ t: 'stop' }], ...scopeOf(form) });
  return parsed.success ? parsed.data : null;
}

/** A name for a copy that no other filter has: "Receipts (copy)", "Receipts (copy 2)". */
export function copyName(name: string, taken: readonly string[]): string {
  const keys = new Set(taken.map(ruleNameKey));
  for (let i = 1; ; i++) {
    const candidate = `${name.slice(0, 88)} (copy${i === 1 ? '' : ` ${i}`})`;
    if (!keys.has(ruleNameKey(candidate))) return candidate;
  }
}

/** Where a failure from main belongs, from its path ("saveRules: rules[2].conditions[0].value: …"). */
export function placeOfError(message: string): { rule: number | null; part: 'name' | 'condition' | 'action' | null; row: number | null; text: string } {
  const m = /^(?:\w+: )?(?:the rules were not saved: )?rules(?:\[|\.)(\d+)\]?(?:\.(name|conditions|actions)(?:\[|\.)?(\d+)?\]?)?[.\w[\]]*:? (.+)$/s.exec(message);
  if (!m) return { rule: null, part: null, row: null, text: sentence(message.replace(/^\w+: /, '').replace(/^rules: /i, '')) };
  const part = m[2] === 'name' ? 'name' : m[2] === 'conditions' ? 'condition' : m[2] === 'actions' ? 'action' : null;
  return { rule: Number(m[1]), part, row: m[3] !== undefined ? Number(m[3]) : null, text: sentence(m[4]!) };
}

const sentence = (s: string) => {
  const t = s.trim();
  const up = t.charAt(0).toUpperCase() + t.slice(1);
  return /[.!?]$/.test(up) ? up : `${up}.`;
};
