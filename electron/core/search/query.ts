/**
 * The search box's query language (issue 17 §2), parsed into clauses without ever failing: the
 * forms people know from Gmail and notmuch, and for anything else a plain note in `ignored`
 * while the rest is still searched.
 *
 *   words            every word must appear (in any field: names, addresses, subject, text, file names)
 *   "a phrase"       the words next to each other, in this order
 *   word at the end  while typing, the last word matches as a prefix ("meet" finds "meeting")
 *   from: to: subject: filename:   a word or "phrase" in that field only (to: covers To and Cc)
 *   has:attachment   is:unread is:read is:flagged is:unflagged
 *   in:FOLDER        a folder by name or key (in:inbox, in:"Work/Projects"); in:anywhere
 *   account:NAME     an account by name or address
 *   before:DATE after:DATE   YYYY-MM-DD or YYYY/MM/DD (Gmail's), local days: before is up to the
 *                    start of that day, after from the start of that day on
 *   larger:N smaller:N       bytes, with K or M (1024-based): larger:10K, smaller:2M
 *   -x NOT x         leave out what matches x
 *   x OR y           either one (binds tighter than the implicit AND, as in Gmail)
 *
 * Bounded (main's thread also syncs and sends): identical parts count once; at most 32 words,
 * 32 filters and 4 ORs mixing words with filters or -words; the rest is named in `ignored`.
 *
 * Pure: no I/O, no clock. Words are split the way the index splits them (letters and digits in
 * any script; everything else separates), lower-cased.
 */

import { hasSegmentedScript, segmentWord } from './segment.js';

export type TextField = 'any' | 'from' | 'to' | 'subject' | 'filename';

export type Clause =
  /**
   * Words that must all appear in `field`; `phrase`: next to each other in order; `prefix`: the
   * last word is a prefix; `stem`: the one word also finds the words with its English stem
   * ("meeting" finds "meetings"), where notmuch stems (see stemmed() below).
   */
  | { t: 'text'; field: TextField; words: string[]; phrase: boolean; prefix: boolean; stem?: boolean }
  | { t: 'attachment' }
  | { t: 'flag'; flag: 'seen' | 'flagged'; value: boolean }
  | { t: 'folder'; name: string }
  | { t: 'anywhere' }
  | { t: 'account'; name: string }
  /** Local midnight of the day named, in ms since the epoch. */
  | { t: 'date'; op: 'before' | 'after'; at: number; text: string }
  | { t: 'size'; op: 'larger' | 'smaller'; bytes: number; text: string };

export interface Item {
  clause: Clause;
  negated: boolean;
}

export interface ParsedQuery {
  /** Every group must match; a group matches when any of its items does (OR). */
  groups: Item[][];
  /** The query written back canonically ("Searching for …"). */
  understood: string;
  /** What was left out, in plain words. */
  ignored: string[];
  /** Words to highlight (positive text clauses only). */
  terms: { text: string; prefix: boolean }[];
}

/** Letters, digits and marks in any script: what the index keeps as words. */
const WORD = /[\p{L}\p{N}\p{M}]+/gu;

/** The words of `text` as the index sees them (lower case). */
export function words(text: string): string[] {
  return (text.toLowerCase().match(WORD) ?? []).map((w) => w.normalize('NFC'));
}

/** Raw pieces of the query: quoted strings, operators with values, OR, brackets, words. */
interface Token {
  raw: string;
  negated: boolean;
  /** `op:` before the value; null for a plain word or phrase. */
  op: string | null;
  value: string;
  quoted: boolean;
  /** Nothing follows it in the query (no trailing space): still being typed. */
  atEnd: boolean;
}

const OPERATORS = new Set(['from', 'to', 'cc', 'subject', 'filename', 'has', 'is', 'in', 'account', 'before', 'after', 'older', 'newer', 'larger', 'smaller', 'size']);

function tokenize(query: string, ignored: string[]): Token[] {
  const out: Token[] = [];
  let i = 0;
  const n = query.length;
  const isSpace = (c: string | undefined): boolean => c !== undefined && /\s/.test(c);
  while (i < n) {
    while (i < n && isSpace(query[i])) i++;
    if (i >= n) break;
    const start = i;
    if (query[i] === '(' || query[i] === ')' || query[i] === '{' || query[i] === '}') {
      // Grouping is not supported: the words inside are still searched.
      if (!ignored.includes('brackets')) ignored.push('brackets');
      i++;
      continue;
    }
    let negated = false;
    if (query[i] === '-' && i + 1 < n && !isSpace(query[i + 1])) {
      negated = true;
      i++;
    }
    let op: string | null = null;
    const m = /^([A-Za-z]+):/.exec(query.slice(i, i + 20));
    if (m && OPERATORS.has(m[1]!.toLowerCase())) {
      op = m[1]!.toLowerCase();
      i += m[0].length;
    }
    let value: string;
    let quoted = false;
    if (query[i] === '"') {
      quoted = true;
      const close = query.indexOf('"', i + 1);
      value = query.slice(i + 1, close < 0 ? n : close);
      i = close < 0 ? n : close + 1;
    } else {
      const s = i;
      while (i < n && !isSpace(query[i]) && query[i] !== '(' && query[i] !== ')') i++;
      value = query.slice(s, i);
    }
    out.push({ raw: query.slice(start, i), negated, op, value, quoted, atEnd: i >= n });
  }
  return out;
}

const DAY_FORMS = /^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$/;

/** Local midnight of YYYY-MM-DD (or YYYY/MM/DD), or null when that is no real day. */
export function parseDay(text: string): number | null {
  const m = DAY_FORMS.exec(text);
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const at = new Date(y, mo - 1, d);
  if (at.getFullYear() !== y || at.getMonth() !== mo - 1 || at.getDate() !== d) return null;
  return at.getTime();
}

/** "10K" → 10240; "2M" → 2 MiB; "500" → 500 bytes; null when unreadable. */
export function parseSize(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)\s*([kmg]?)b?$/i.exec(text);
  if (!m) return null;
  const unit = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
  const bytes = Math.round(Number(m[1]) * unit);
  return Number.isFinite(bytes) ? bytes : null;
}

function quote(s: string): string {
  return /[\s"()]/.test(s) || s === '' ? `"${s.replace(/"/g, '')}"` : s;
}

function describe(c: Clause): string {
  switch (c.t) {
    case 'text': {
      const body = c.phrase ? `"${c.words.join(' ')}"` : c.words.join(' ');
      const tail = c.prefix ? '…' : '';
      return c.field === 'any' ? `${body}${tail}` : `${c.field}:${body}${tail}`;
    }
    case 'attachment':
      return 'has:attachment';
    case 'flag':
      return c.flag === 'seen' ? (c.value ? 'is:read' : 'is:unread') : c.value ? 'is:flagged' : 'is:unflagged';
    case 'folder':
      return `in:${quote(c.name)}`;
    case 'anywhere':
      return 'in:anywhere';
    case 'account':
      return `account:${quote(c.name)}`;
    case 'date':
      return `${c.op}:${c.text}`;
    case 'size':
      return `${c.op}:${c.text}`;
  }
}

/**
 * Whether a word is matched by its stem, as notmuch 0.37 (Xapian's STEM_SOME) does, tried on a
 * Maildir: a plain word or a to: word is stemmed ("meeting" finds "meetings", "run" finds
 * "running"); one that starts with a capital letter ("Meeting"), a quoted word or phrase, a
 * prefix ("meet*" in notmuch, the word being typed here), from: and subject: are exact.
 */
function stemmed(tok: Token, field: TextField, ws: string[], prefix: boolean): boolean {
  if (ws.length !== 1 || tok.quoted || prefix || (field !== 'any' && field !== 'to')) return false;
  // Chinese, Japanese, Thai… have no English stems: such a word is its characters, exactly.
  if (hasSegmentedScript(ws[0]!)) return false;
  return !/^\p{Lu}/u.test(tok.value.match(WORD)?.[0] ?? '');
}

/** One token into clauses (a word with inner punctuation is a phrase: "e-mail" is e next to mail). */
function clausesOf(tok: Token, last: boolean, ignored: string[]): Clause[] {
  const textClause = (field: TextField): Clause[] => {
    const ws = words(tok.value);
    if (ws.length === 0) {
      if (tok.value.trim() !== '') ignored.push(`${tok.raw} (no letters or digits to search for)`);
      return [];
    }
    // While typing: the last word, unquoted and not followed by a space, is a prefix. One
    // letter is too little to narrow anything: it waits for the next.
    const prefix = last && tok.atEnd && !tok.quoted && /[\p{L}\p{N}\p{M}]$/u.test(tok.value);
    // (One Chinese or Japanese character is a word: 书, 車. It is searched at once.)
    if (prefix && ws.length === 1 && ws[0]!.length < 2 && field === 'any' && !hasSegmentedScript(ws[0]!)) {
      return [];
    }
    const c: Clause = { t: 'text', field, words: ws, phrase: ws.length > 1, prefix };
    return [stemmed(tok, field, ws, prefix) ? { ...c, stem: true } : c];
  };
  if (tok.op === null) return textClause('any');
  const v = tok.value.trim();
  const lower = v.toLowerCase();
  switch (tok.op) {
    case 'from':
    case 'subject':
    case 'filename':
      return textClause(tok.op);
    case 'to':
    case 'cc':
      return textClause('to');
    case 'has':
      if (lower === 'attachment' || lower === 'attachments') return [{ t: 'attachment' }];
      ignored.push(`${tok.raw} (has: knows only attachment)`);
      return [];
    case 'is':
      if (lower === 'unread') return [{ t: 'flag', flag: 'seen', value: false }];
      if (lower === 'read') return [{ t: 'flag', flag: 'seen', value: true }];
      if (lower === 'flagged' || lower === 'starred') return [{ t: 'flag', flag: 'flagged', value: true }];
      if (lower === 'unflagged' || lower === 'unstarred') return [{ t: 'flag', flag: 'flagged', value: false }];
      ignored.push(`${tok.raw} (is: knows unread, read, flagged, unflagged)`);
      return [];
    case 'in':
      if (v === '') break;
      if (lower === 'anywhere' || lower === 'all') return [{ t: 'anywhere' }];
      return [{ t: 'folder', name: v }];
    case 'account':
      if (v === '') break;
      return [{ t: 'account', name: v }];
    case 'before':
    case 'after':
    case 'older':
    case 'newer': {
      const at = parseDay(v);
      if (at === null) {
        ignored.push(`${tok.raw} (a date is written YYYY-MM-DD or YYYY/MM/DD)`);
        return [];
      }
      const op = tok.op === 'before' || tok.op === 'older' ? 'before' : 'after';
      const d = new Date(at);
      const text = `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
      return [{ t: 'date', op, at, text }];
    }
    case 'larger':
    case 'smaller':
    case 'size': {
      const bytes = parseSize(v);
      if (bytes === null) {
        ignored.push(`${tok.raw} (a size is a number with K or M, like 10K or 2M)`);
        return [];
      }
      return [{ t: 'size', op: tok.op === 'smaller' ? 'smaller' : 'larger', bytes, text: v.toUpperCase() }];
    }
  }
  ignored.push(`${tok.raw} (nothing after ${tok.op}:)`);
  return [];
}

/** Words searched at most (text clauses' words together), and other filters at most. */
export const MAX_WORDS = 32;
export const MAX_FILTERS = 32;
/** OR groups that mix words with filters or with -words: each is its own scan of the index. */
export const MAX_MIXED = 4;

/**
 * How many words of the index `ws` are: a Chinese, Japanese, Thai… character is one (segment.ts),
 * so 1,000 such characters typed without a space cost what 1,000 words would and are bounded alike.
 */
const searched = (ws: readonly string[]): number => ws.reduce((n, w) => n + segmentWord(w).length, 0);

/** The first `n` words of the index in `ws`, a word in those scripts cut after its first characters. */
function firstWords(ws: readonly string[], n: number): string[] {
  const out: string[] = [];
  for (const w of ws) {
    const pieces = segmentWord(w);
    if (pieces.length > n) {
      if (n > 0) out.push(pieces.slice(0, n).join(''));
      break;
    }
    out.push(w);
    n -= pieces.length;
  }
  return out;
}

/**
 * Keeps what a query costs bounded: main answers searches on the thread that also syncs and
 * sends, and the page may send any 1,000 characters. Identical items and groups count once
 * ("-com -com …" is one clause); beyond the first MAX_WORDS words and MAX_FILTERS other filters
 * the rest is left out and said so. A phrase that would cross the limit keeps its first words.
 */
function bound(groups: Item[][], ignored: string[]): void {
  const seenGroups = new Set<string>();
  const unique: Item[][] = [];
  for (const g of groups) {
    const keys = new Set<string>();
    const items = g.filter((it) => {
      const key = JSON.stringify(it);
      if (keys.has(key)) return false;
      keys.add(key);
      return true;
    });
    const key = JSON.stringify([...keys].sort());
    if (seenGroups.has(key)) continue;
    seenGroups.add(key);
    unique.push(items);
  }
  let mixedLeft = MAX_MIXED;
  let cutMixed = false;
  let wordsLeft = MAX_WORDS;
  let filtersLeft = MAX_FILTERS;
  let cutWords = false;
  let cutFilters = false;
  const kept: Item[][] = [];
  for (const g of unique) {
    const text = g.filter((it) => it.clause.t === 'text');
    if (text.length && !(text.length === g.length && (g.every((it) => it.negated) || g.every((it) => !it.negated)))) {
      if (mixedLeft === 0) {
        cutMixed = true;
        continue;
      }
      mixedLeft--;
    }
    const items: Item[] = [];
    for (const it of g) {
      const c = it.clause;
      if (c.t !== 'text') {
        if (filtersLeft === 0) cutFilters = true;
        else {
          filtersLeft--;
          items.push(it);
        }
      } else if (wordsLeft === 0) {
        cutWords = true;
      } else if (searched(c.words) > wordsLeft) {
        cutWords = true;
        const ws = firstWords(c.words, wordsLeft);
        items.push({ negated: it.negated, clause: { ...c, words: ws, phrase: c.phrase && ws.length > 1, prefix: false } });
        wordsLeft = 0;
      } else {
        wordsLeft -= searched(c.words);
        items.push(it);
      }
    }
    if (items.length) kept.push(items);
  }
  groups.splice(0, groups.length, ...kept);
  if (cutWords) ignored.push(`Only the first ${MAX_WORDS} words are searched`);
  if (cutFilters) ignored.push(`Only the first ${MAX_FILTERS} filters are used`);
  if (cutMixed) ignored.push(`Only the first ${MAX_MIXED} ORs that mix words with filters or with -words are searched`);
}

export function parseQuery(query: string): ParsedQuery {
  const ignored: string[] = [];
  const tokens = tokenize(query, ignored);
  const groups: Item[][] = [];
  let joinNext = false;
  let negateNext = false;
  /** Whether the token before gave a clause: an OR after one that gave none has nothing on its left. */
  let prevGave = false;
  tokens.forEach((tok, index) => {
    const last = index === tokens.length - 1;
    if (tok.op === null && !tok.quoted && !tok.negated) {
      if (tok.value === 'OR' || tok.value === '|') {
        if (!prevGave || last) ignored.push('OR with nothing on one side');
        else joinNext = true;
        return;
      }
      if (tok.value === 'AND') return;
      if (tok.value === 'NOT') {
        prevGave = false;
        negateNext = true;
        return;
      }
    }
    const clauses = clausesOf(tok, last, ignored);
    prevGave = clauses.length > 0;
    const negated = tok.negated !== negateNext;
    negateNext = false;
    for (const clause of clauses) {
      const item: Item = { clause, negated };
      if (joinNext && groups.length > 0) groups[groups.length - 1]!.push(item);
      else groups.push([item]);
      joinNext = false;
    }
    // A word that gave nothing (punctuation only) does not swallow the OR that came before it.
  });

  bound(groups, ignored);
  // "in:" twice can never match both: the last one counts (Gmail does the same with the UI's folder).
  const understood = groups.map((g) => g.map((it) => `${it.negated ? '-' : ''}${describe(it.clause)}`).join(' OR ')).join(' ');
  const terms: { text: string; prefix: boolean }[] = [];
  const seen = new Set<string>();
  for (const g of groups) {
    for (const it of g) {
      if (it.negated || it.clause.t !== 'text') continue;
      const c = it.clause;
      c.words.forEach((w, i) => {
        const prefix = c.prefix && i === c.words.length - 1;
        const key = `${w}\u0000${prefix}`;
        if (seen.has(key)) return;
        seen.add(key);
        terms.push({ text: w, prefix });
      });
    }
  }
  return { groups, understood, ignored, terms };
}
