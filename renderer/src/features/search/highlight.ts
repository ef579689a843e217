/**
 * Where a search's words are in a text, for highlighting (issue 17). Main names the terms (lower
 * case; a prefix term matches the start of a word, as the last word typed does); here they are
 * found the way a person reads them: case and accents folded ("muller" marks "Müller"), whole
 * words only (so "art" does not light up "party"), a phrase across any spaces or punctuation.
 */
import type { SearchResult } from '../../../../shared/search.js';

export type SearchTerm = SearchResult['terms'][number];

// Letters NFKD leaves whole; the same folding as the list's own search (db/search.ts).
const LETTERS: Record<string, string> = { ß: 'ss', æ: 'ae', œ: 'oe', ø: 'o', đ: 'd', ł: 'l', ı: 'i', þ: 'th', ð: 'd' };

/** The text folded, with where each folded character came from in the original. */
function folded(text: string): { text: string; from: number[] } {
  let out = '';
  const from: number[] = [];
  let i = 0;
  for (const ch of text) {
    const lower = ch.toLowerCase();
    // eslint-disable-next-line no-control-regex
    const f = /[^\x00-\x7f]/.test(lower) ? (LETTERS[lower] ?? lower.normalize('NFKD').replace(/\p{M}+/gu, '')) : lower;
    for (let k = 0; k < f.length; k++) {
      out += f[k];
      from.push(i);
    }
    i += ch.length;
  }
  from.push(i);
  return { text: out, from };
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const WORD = '[\\p{L}\\p{N}]';

/** One expression for all the terms; null when none has a letter or digit to find. */
export function termPattern(terms: readonly SearchTerm[]): RegExp | null {
  const parts = terms
    .map((t) => ({ words: folded(t.text).text.split(/[^\p{L}\p{N}]+/u).filter(Boolean), prefix: t.prefix }))
    .filter((t) => t.words.length > 0)
    // Longer first: where "re" and "report" both match, the whole word is marked.
    .sort((a, b) => b.words.join(' ').length - a.words.join(' ').length)
    // A prefix marks the whole word it begins ("meet" typed: "meeting" marked), as it found it.
    .map((t) => `(?<!${WORD})${t.words.map(escape).join(`[^\\p{L}\\p{N}]+`)}${t.prefix ? `${WORD}*` : `(?!${WORD})`}`);
  return parts.length ? new RegExp(parts.join('|'), 'gu') : null;
}

/** The [start, end) ranges of `text` that match, in order and apart. */
export function matchRanges(text: string, terms: readonly SearchTerm[], pattern = termPattern(terms)): [number, number][] {
  if (!pattern || !text) return [];
  const f = folded(text);
  const ranges: [number, number][] = [];
  pattern.lastIndex = 0;
  for (const m of f.text.matchAll(pattern)) {
    if (m[0].length === 0) continue;
    const start = f.from[m.index]!;
    const end = f.from[m.index + m[0].length]!;
    // Folding can make one original character two (ß → ss): a match ending inside it takes it whole.
    const last = ranges.at(-1);
    if (last && start < last[1]) last[1] = Math.max(last[1], end);
    else ranges.push([start, Math.max(end, start + 1)]);
  }
  return ranges;
}

/** The text cut into plain and matching pieces, in order (for the React views). */
export function splitMatches(text: string, terms: readonly SearchTerm[], pattern = termPattern(terms)): { text: string; hit: boolean }[] {
  const ranges = matchRanges(text, terms, pattern);
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
