/**
 * Scripts written without spaces between words (Chinese, Japanese, Thai, Lao, Khmer, Myanmar,
 * Korean): the index cuts them into characters (electron/core/search/segment.ts), so a word in
 * them is found inside longer text. The list's snippet (main) and the reading pane's marks (the
 * renderer) must find the same places, so the list and the rule for a search term's edges live
 * here once, pure, for both.
 */
import { lazy } from './lazy.js';

/**
 * The scripts cut into characters, as the inside of a regex character class (flag `u`).
 * Script_Extensions, so that marks shared by several of them count too: the katakana
 * long-vowel mark ー (コーヒー), 々, the halfwidth forms.
 */
export const SEGMENTED_SCRIPTS = '\\p{scx=Han}\\p{scx=Hiragana}\\p{scx=Katakana}\\p{scx=Hangul}\\p{scx=Thai}\\p{scx=Lao}\\p{scx=Khmer}\\p{scx=Myanmar}';

// Made at the first term, not when the module loads: V8 parses a pattern whole when it is made, and
// these Script_Extensions classes cost ~12 M instructions, paid by every parse worker's start (the
// index's segmenter loads this module and never asks for a term's edges).
const edgePatterns = lazy(() => ({ starts: new RegExp(`^[${SEGMENTED_SCRIPTS}]`, 'u'), ends: new RegExp(`[${SEGMENTED_SCRIPTS}]$`, 'u') }));

/** `s` as a regex that matches it literally. */
export const escapeRegex = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The regex source for one search term: `body` (already a regex) with a word boundary at each
 * edge, except where the term's first or last character is in those scripts (such text has no
 * spaces: 会议 is found inside 明天的会议改到三点; a Latin edge still needs one, "email会议").
 * A prefix takes the rest of the word it begins ("meet" marks "meeting"); a prefix ending in such
 * a character is that character. `first` / `last`: text the term starts / ends with (only their
 * first / last character is looked at). `word`: the character class of a word's letters.
 */
export function termWithEdges(body: string, term: { first: string; last: string; prefix: boolean }, word: string): string {
  const { starts, ends } = edgePatterns();
  const before = starts.test(term.first) ? '' : `(?<!${word})`;
  const after = ends.test(term.last) ? '' : term.prefix ? `${word}*` : `(?!${word})`;
  return `${before}${body}${after}`;
}
