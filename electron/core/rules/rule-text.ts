/**
 * Rules as people type them on the command line and read them back in `rules list`:
 * conditions like `subject contains invoice`, `from is a@b.c`, `size > 1M`,
 * `header List-Id contains rust`, `has attachment`, `age > 30d`; actions like `move Receipts`,
 * `copy Archive`, `mark-read`, `flag`, `junk`, `delete`, `forward a@b.c`, `stop`. What is not understood is
 * answered in words naming it (AppFailure 'invalid').
 */
import { parseFolderArg } from '../../../shared/folders.js';
import { Action, Condition, HeaderName, MAX_PATTERN_CHARS, type TextField, type TextOp } from '../../../shared/rules.js';
import { AppFailure } from '../errors.js';

const FIELDS: Record<string, TextField> = {
  from: 'from',
  'to-cc': 'to-cc',
  to: 'to-cc',
  cc: 'to-cc',
  recipient: 'recipient',
  'any-recipient': 'recipient',
  subject: 'subject',
  body: 'body',
  account: 'account',
};

const OPS: [string, TextOp][] = [
  ['does not contain', 'not-contains'],
  ['not-contains', 'not-contains'],
  ['!contains', 'not-contains'],
  ['contains', 'contains'],
  ['is', 'is'],
  ['matches', 'matches'],
];

const OP_WORDS: Record<TextOp, string> = { contains: 'contains', 'not-contains': 'does not contain', is: 'is', matches: 'matches' };

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, kb: 1024, m: 1024 ** 2, mb: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3 };

function bad(text: string, why: string): never {
  throw new AppFailure('invalid', `cannot understand the condition ${JSON.stringify(text)}: ${why}`);
}

function textCondition(text: string, rest: string, build: (op: TextOp, value: string) => unknown): Condition {
  for (const [words, op] of OPS) {
    if (rest.toLowerCase().startsWith(`${words} `)) {
      let value = rest.slice(words.length + 1).trim();
      if (value.length >= 2 && ((value.startsWith('"') && value.endsWith('"')) || (value.startsWith("'") && value.endsWith("'")))) value = value.slice(1, -1);
      if (!value) bad(text, `nothing to compare with after “${words}”`);
      if (value.length > MAX_PATTERN_CHARS) bad(text, `the value is longer than ${MAX_PATTERN_CHARS} characters`);
      return Condition.parse(build(op, value));
    }
  }
  const word = rest.split(/\s+/)[0] || '(nothing)';
  return bad(text, `“${word}” is not an operator (use contains, does not contain, is or matches)`);
}

function comparison(text: string, rest: string): { op: '>' | '<'; number: number; unit: string } {
  const m = /^([<>])\s*(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(rest.trim());
  if (!m) bad(text, 'expected > or < and a number, as in “size > 1M” or “age > 30d”');
  return { op: m[1] as '>' | '<', number: Number(m[2]), unit: m[3]!.toLowerCase() };
}

export function parseCondition(input: string): Condition {
  const text = input.trim();
  const [head = '', ...words] = text.split(/\s+/);
  const rest = text.slice(head.length).trim();
  const field = head.toLowerCase();
  if (field === 'has' || field === 'no') {
    if (!/^attachments?$/i.test(rest)) bad(text, 'say “has attachment” or “no attachment”');
    return { field: 'attachment', has: field === 'has' };
  }
  if (field === 'size') {
    const { op, number, unit } = comparison(text, rest);
    const scale = UNITS[unit];
    if (scale === undefined) bad(text, `“${unit}” is not a size unit (use K, M or G)`);
    return { field: 'size', op, bytes: Math.round(number * scale) };
  }
  if (field === 'age') {
    const { op, number, unit } = comparison(text, rest);
    if (!['', 'd', 'day', 'days'].includes(unit)) bad(text, `“${unit}” is not a unit of age (days: 30d)`);
    return { field: 'age', op, days: number };
  }
  if (field === 'header') {
    const name = words[0] ?? '';
    if (!HeaderName.safeParse(name).success) bad(text, `“${name || '(nothing)'}” is not a header name`);
    return textCondition(text, rest.slice(name.length).trim(), (op, value) => ({ field: 'header', name, op, value }));
  }
  const known = FIELDS[field];
  if (!known) bad(text, `“${head || '(nothing)'}” is not something a rule can look at (from, to, cc, recipient, subject, header NAME, body, size, has attachment, account, age)`);
  return textCondition(text, rest, (op, value) => ({ field: known, op, value }));
}

export function parseAction(input: string): Action {
  const text = input.trim();
  const [head = '', ...words] = text.split(/\s+/);
  const verb = head.toLowerCase();
  const rest = text.slice(head.length).trim();
  const noArgs = (a: Action): Action => {
    if (rest) throw new AppFailure('invalid', `the action “${head}” takes nothing after it (got ${JSON.stringify(rest)})`);
    return a;
  };
  switch (verb) {
    case 'move':
    case 'copy': {
      const folder = parseFolderArg(rest);
      if (words.length === 0 || folder.length === 0) throw new AppFailure('invalid', `the action “${head}” needs a folder, as in “${verb} Receipts”`);
      const parsed = Action.safeParse({ t: verb, folder });
      if (!parsed.success) throw new AppFailure('invalid', `the folder ${JSON.stringify(rest)} is too long or too deeply nested`);
      return parsed.data;
    }
    case 'mark-read':
    case 'read':
      return noArgs({ t: 'mark-read' });
    case 'flag':
      return noArgs({ t: 'flag' });
    case 'junk':
      return noArgs({ t: 'junk' });
    case 'delete':
    case 'trash':
      return noArgs({ t: 'delete' });
    case 'stop':
      return noArgs({ t: 'stop' });
    case 'delete-on-server':
      return noArgs({ t: 'delete-on-server' });
    case 'forward': {
      const parsed = Action.safeParse({ t: 'forward', to: rest.replace(/^to\s+/i, '') });
      if (!rest || !parsed.success) throw new AppFailure('invalid', `the action “${head}” needs one address, as in “forward bob@example.org”${rest ? ` (${JSON.stringify(rest)} is not one)` : ''}`);
      return parsed.data;
    }
    default:
      throw new AppFailure('invalid', `cannot understand the action ${JSON.stringify(text)}: “${head || '(nothing)'}” is not an action (move FOLDER, copy FOLDER, mark-read, flag, junk, delete, delete-on-server, forward ADDRESS, stop)`);
  }
}

const quote = (v: string) => (/^\S+$/.test(v) ? v : JSON.stringify(v));

/** The condition as it would be typed (parseCondition reads it back to the same). */
export function describeCondition(c: Condition): string {
  switch (c.field) {
    case 'size':
      return `size ${c.op} ${c.bytes}`;
    case 'age':
      return `age ${c.op} ${c.days}d`;
    case 'attachment':
      return c.has ? 'has attachment' : 'no attachment';
    case 'header':
      return `header ${c.name} ${OP_WORDS[c.op]} ${quote(c.value)}`;
    default:
      return `${c.field} ${OP_WORDS[c.op]} ${quote(c.value)}`;
  }
}

export function describeAction(a: Action): string {
  if (a.t === 'move' || a.t === 'copy') return `${a.t} ${a.folder.map((n) => n.replace(/\//g, '\\/')).join('/')}`;
  if (a.t === 'forward') return `forward ${a.to}`;
  return a.t;
}
