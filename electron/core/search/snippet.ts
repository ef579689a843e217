/**
 * A short text around the first place a search's words occur in a message's text, for the
 * result list (issue 17 §2). Words are compared the way the index compares them: whole words,
 * any case, diacritics folded, the typed prefix matching a word's start.
 */
import { stripControls } from '../mime/text.js';
import { escapeRegex, termWithEdges } from '../../../shared/segmented-scripts.js';
import { hasSegmentedScript } from './segment.js';

const WORD = /[\p{L}\p{N}\p{M}\p{Co}]+/gu;
/** Characters shown before the match (the rest of the snippet follows it). */
const BEFORE = 40;
const LENGTH = 160;

/** Lower case without diacritics: "Café" → "cafe" (FTS5's remove_diacritics, near enough). */
export function fold(word: string): string {
  return word.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}

/**
 * Where the first of `terms` (each with Chinese, Japanese, Thai… characters) is in `hay`, or
 * hay.length. Such a word needs no word boundary where it has one of those characters at its
 * edge (会议 inside 明天的会议改到三点), as in the index; a Latin edge still does ("email会议").
 */
function insideAt(hay: string, terms: readonly { text: string; prefix: boolean }[]): number {
  if (terms.length === 0) return hay.length;
  const edge = '[\\p{L}\\p{N}\\p{M}]';
  const parts = terms.map(({ text, prefix }) => termWithEdges(escapeRegex(text.normalize('NFC')), { first: text, last: text, prefix }, edge));
  const m = new RegExp(parts.join('|'), 'iu').exec(hay);
  return m ? m.index : hay.length;
}

/** The snippet, or null when none of the words is in `text` (it matched in a header field). */
export function snippetAround(text: string, terms: readonly { text: string; prefix: boolean }[]): string | null {
  if (!text || terms.length === 0) return null;
  // Bounded: at most 32 words (the parser keeps no more), the whole ones looked up in a set.
  const few = terms.slice(0, 32);
  // Words in scripts without spaces are found inside longer text, as the index finds them.
  const inside = few.filter((t) => hasSegmentedScript(t.text));
  const whole = few.filter((t) => !hasSegmentedScript(t.text));
  const exact = new Set(whole.filter((t) => !t.prefix).map((t) => fold(t.text)));
  const prefixes = whole.filter((t) => t.prefix).map((t) => fold(t.text));
  WORD.lastIndex = 0;
  let at = -1;
  // Bounded: a snippet looks through the first 256 KB of text at most.
  const hay = text.length > 256 * 1024 ? text.slice(0, 256 * 1024) : text;
  const found = insideAt(hay, inside);
  for (let m = WORD.exec(hay); m && m.index < found; m = WORD.exec(hay)) {
    const w = fold(m[0]);
    if (exact.has(w) || prefixes.some((p) => w.startsWith(p))) {
      at = m.index;
      break;
    }
  }
  if (at < 0 && found < hay.length) at = found;
  if (at < 0) return null;
  // Chinese and Japanese characters are twice as wide as Latin letters: half as many before the
  // match keep it as far into the row.
  const before = hasSegmentedScript(hay.slice(Math.max(0, at - BEFORE), at)) ? BEFORE / 2 : BEFORE;
  let start = Math.max(0, at - before);
  // Start at a word boundary, not in the middle of a word.
  if (start > 0) {
    const space = hay.slice(start, at).search(/\s/);
    if (space >= 0) start += space + 1;
  }
  const piece = stripControls(hay.slice(start, start + LENGTH * 2)).replace(/\s+/g, ' ').trim();
  let out = piece.slice(0, LENGTH);
  // Cut after the last whole word; text without spaces has no words to keep whole.
  if (piece.length > LENGTH) out = out.replace(/\s\S*$/, (tail) => (hasSegmentedScript(tail) ? tail : ''));
  return `${start > 0 ? '…' : ''}${out}${start + LENGTH < hay.length ? '…' : ''}`;
}
