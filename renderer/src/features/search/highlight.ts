/**
 * Where a search's words are in a text, for highlighting (issue 17). Main names the terms (lower
 * case; a prefix term matches the start of a word, as the last word typed does); here they are
 * found the way a person reads them: case and accents folded ("muller" marks "Müller"), whole
 * words only (so "art" does not light up "party"), a phrase across any spaces or punctuation.
 */
import type { SearchResult } from '../../../../shared/search.js';
import { escapeRegex, termWithEdges } from '../../../../shared/segmented-scripts.js';

export type SearchTerm = SearchResult['terms'][number];

// Letters NFKD leaves whole; the same folding as the list's own search (db/search.ts).
const LETTERS: Record<string, string> = { ß: 'ss', æ: 'ae', œ: 'oe', ø: 'o', đ: 'd', ł: 'l', ı: 'i', þ: 'th', ð: 'd' };

/** The text folded, and where the folded character at `i` came from in the original. */
interface Folded {
  text: string;
  from(i: number): number;
}

// eslint-disable-next-line no-control-regex
const NON_ASCII = /[^\x00-\x7f]+/g;
const foldChar = (ch: string) => {
  const lower = ch.toLowerCase();
  return LETTERS[lower] ?? lower.normalize('NFKD').replace(/\p{M}+/gu, '');
};

/**
 * ASCII runs are lowered in one go and keep their offsets, so a long English body costs a
 * string copy rather than work per character (hostile mail can be megabytes of text); only the
 * characters outside ASCII are folded one by one, each remembered where it began.
 */
function folded(text: string): Folded {
  NON_ASCII.lastIndex = 0;
  if (!NON_ASCII.test(text)) return { text: text.toLowerCase(), from: (i) => i };
  // Pieces of the folded text: piece k starts at at[k] in it and at orig[k] in the original,
  // and (when it is an ASCII run) keeps going one to one from there.
  const out: string[] = [];
  const at: number[] = [];
  const orig: number[] = [];
  let length = 0;
  const piece = (s: string, o: number) => {
    out.push(s);
    at.push(length);
    orig.push(o);
    length += s.length;
  };
  let last = 0;
  NON_ASCII.lastIndex = 0;
  for (const m of text.matchAll(NON_ASCII)) {
    if (m.index > last) piece(text.slice(last, m.index).toLowerCase(), last);
    let i = m.index;
    for (const ch of m[0]) {
      // A character that folds to several ("ß" → "ss") is one piece per folded character, all from it.
      for (const f of foldChar(ch)) piece(f, i);
      i += ch.length;
    }
    last = i;
  }
  if (last < text.length) piece(text.slice(last).toLowerCase(), last);
  piece('', text.length);
  return {
    text: out.join(''),
    from: (i) => {
      let lo = 0;
      let hi = at.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (at[mid]! <= i) lo = mid;
        else hi = mid - 1;
      }
      return orig[lo]! + (i - at[lo]!);
    },
  };
}

const WORD = '[\\p{L}\\p{N}]';

/**
 * Bounds on marking, so a hostile message (a million matches, megabytes of text) or a query of
 * hundreds of words cannot freeze the window: past them the rest of the body is shown unmarked.
 * MAX_MARKS is per body, shared by all its text; MAX_SCAN_CHARS is how much of it is searched.
 */
export const MAX_MARKS = 2000;
export const MAX_SCAN_CHARS = 2_000_000;
export const MAX_TERMS = 32;

/** What is left of one body's marks and characters to search, used up as its text is marked. */
export interface MarkBudget {
  marks: number;
  chars: number;
}
export const markBudget = (): MarkBudget => ({ marks: MAX_MARKS, chars: MAX_SCAN_CHARS });

/** One expression for the first MAX_TERMS terms; null when none has a letter or digit to find. */
export function termPattern(terms: readonly SearchTerm[]): RegExp | null {
  const parts = terms
    .slice(0, MAX_TERMS)
    .map((t) => ({ words: folded(t.text).text.split(/[^\p{L}\p{N}]+/u).filter(Boolean), prefix: t.prefix }))
    .filter((t) => t.words.length > 0)
    // Longer first: where "re" and "report" both match, the whole word is marked.
    .sort((a, b) => b.words.join(' ').length - a.words.join(' ').length)
    // A prefix marks the whole word it begins ("meet" typed: "meeting" marked), as it found it.
    // A Chinese, Japanese, Thai… character at a term's edge needs no word boundary there: such
    // text has no spaces, and main finds 会议 inside 明天的会议改到三点 (core/search/segment.ts).
    // (shared/segmented-scripts.ts: the list's snippet in main follows the same rule.)
    .map((t) => termWithEdges(t.words.map(escapeRegex).join(`[^\\p{L}\\p{N}]+`), { first: t.words[0]!, last: t.words.at(-1)!, prefix: t.prefix }, WORD));
  return parts.length ? new RegExp(parts.join('|'), 'gu') : null;
}

/** The [start, end) ranges of `text` that match, in order and apart; at most `limit` of them. */
export function matchRanges(text: string, terms: readonly SearchTerm[], pattern = termPattern(terms), limit = Infinity): [number, number][] {
  if (!pattern || !text || limit <= 0) return [];
  const f = folded(text);
  const ranges: [number, number][] = [];
  pattern.lastIndex = 0;
  for (const m of f.text.matchAll(pattern)) {
    if (m[0].length === 0) continue;
    const start = f.from(m.index);
    const end = f.from(m.index + m[0].length);
    // Folding can make one original character two (ß → ss): a match ending inside it takes it whole.
    const last = ranges.at(-1);
    if (last && start < last[1]) last[1] = Math.max(last[1], end);
    else if (ranges.length < limit) ranges.push([start, Math.max(end, start + 1)]);
    else break;
  }
  return ranges;
}

/**
 * The text cut into plain and matching pieces, in order (for the React views). With a budget,
 * only its characters are searched and its marks made, and both are used up (the next text of
 * the same body gets what is left).
 */
export function splitMatches(text: string, terms: readonly SearchTerm[], pattern = termPattern(terms), budget?: MarkBudget): { text: string; hit: boolean }[] {
  const scan = budget ? text.slice(0, Math.max(0, budget.chars)) : text;
  const ranges = matchRanges(scan, terms, pattern, budget ? budget.marks : Infinity);
  if (budget) {
    budget.chars -= scan.length;
    budget.marks -= ranges.length;
  }
  if (ranges.length === 0) return [{ text, hit: false }];
  const pieces: { text: string; hit: boolean }[] = [];
  let at = 0;
  for (const [s, e] of ranges) {
    if (s > at) pieces.push({ text: text.slice(at, s), hit: false });
    pieces.push({ text: text.slice(s, e), hit: true });
    at = e;
  }
  if (at < text.length) pieces.push({ text: text.slice(at), hit: false });
  return pieces;
}
