/**
 * Words in scripts written without spaces between words (Chinese, Japanese, Thai, Lao, Khmer,
 * Myanmar; Korean too, whose particles are written onto the word: 회의를 is "the meeting" + object
 * marker). FTS5's unicode61 tokenizer splits only at spaces and punctuation, so a whole Chinese
 * sentence would be one word and 会议 could never find 明天的会议改到三点.
 *
 * Each character of these scripts (with the combining marks that follow it, as Thai's vowel
 * and tone marks) is made a word of its own, in the index and in the query alike, and a query
 * word in these scripts is searched as the phrase of its characters: it is found wherever it
 * stands in longer text, as Ctrl+F finds it (the way Elasticsearch's standard analyzer and
 * Lucene's StandardTokenizer index Han and kana). Not a dictionary segmenter (Intl.Segmenter):
 * its cuts depend on the neighbouring words, so a word searched on its own can be cut otherwise
 * than in the sentence it stands in (三時 alone vs 三|時に in 明日の会議は三時に変更します) and
 * would not be found. Latin, Cyrillic, Greek, Arabic… text is left exactly as it was.
 */
import { lazy } from '../../../shared/lazy.js';
import { SEGMENTED_SCRIPTS } from '../../../shared/segmented-scripts.js';

/** The scripts cut into characters (shared with the renderer's highlighting: shared/segmented-scripts.ts). */
export { SEGMENTED_SCRIPTS };

/**
 * ANY and CHARACTER: made at the first text with a character beyond Latin, not when the module
 * loads. V8 parses a pattern whole when it is made, and these Script_Extensions classes cost
 * millions of instructions, paid by the CLI's empty check (which loads the index and segments
 * nothing) and by a parse worker whose mail is all Latin.
 */
const scripts = lazy(() => ({
  ANY: new RegExp(`[${SEGMENTED_SCRIPTS}]`, 'u'),
  /** One character of those scripts (not itself a mark) with the marks that follow it. */
  CHARACTER: new RegExp(`(?:(?!\\p{M})[${SEGMENTED_SCRIPTS}])\\p{M}*`, 'gu'),
}));
/**
 * Anything beyond Latin letters and the General Punctuation block (’ “ ” — … •): every character
 * of those scripts is (a unit test checks each code point). Most mail is such text from end to
 * end, and this one-byte-range class scans it several times quicker than ANY's Unicode property
 * classes, so ANY runs only from the first character that could be one of them.
 */
// eslint-disable-next-line no-control-regex -- every character below the first one that could be in those scripts
const BEYOND_LATIN = /[^\x00-\u00b6\u00b8-\u02bb\u02bd-\u02d6\u02d8-\u0302\u0304\u0306-\u0322\u0324-\u0330\u0332-\u0dff\u2000-\u206f]/g;

/** Whether `text` has a character of those scripts (ANY), looking with ANY only past BEYOND_LATIN's first hit. */
function anySegmented(text: string): boolean {
  BEYOND_LATIN.lastIndex = 0;
  const hit = BEYOND_LATIN.exec(text);
  if (!hit) return false;
  return scripts().ANY.test(hit.index === 0 ? text : text.slice(hit.index));
}
/**
 * A run of characters that may be CHARACTER's: every character of those scripts and every mark
 * (all are at U+0300 and above but for three, outside General Punctuation). CHARACTER never
 * matches across a character outside this class, so cutting each run alone cuts the text as
 * cutting the whole of it would, and the Latin text between runs (most of it) is not scanned
 * with CHARACTER's Unicode classes at all.
 */
// eslint-disable-next-line no-misleading-character-class -- code units on purpose: marks and surrogate halves are run characters
const RUN = /[\u00b7\u02bc\u02d7\u0300-\u1fff\u2070-\uffff]+/g;
const cutRun = (run: string): string => run.replace(scripts().CHARACTER, ' $& ');

/** Whether `text` has anything in those scripts (the quick test that leaves other text untouched). */
export function hasSegmentedScript(text: string): boolean {
  return anySegmented(text);
}

/**
 * The text as the index is given it: each character of those scripts set apart by spaces, so
 * unicode61 makes it a word. Other text is returned as it is (the same string, no copy).
 */
export function segmentForIndex(text: string): string {
  if (!text || !anySegmented(text)) return text;
  return text.replace(RUN, cutRun);
}

/**
 * The index's words for one query word (lower case, letters and digits only, as query.ts's
 * words() gives it): itself when it has none of those scripts, else its pieces in order
 * ("email会议" → email, 会, 议), searched as a phrase.
 */
export function segmentWord(word: string): string[] {
  if (!anySegmented(word)) return [word];
  return segmentForIndex(word).split(' ').filter(Boolean);
}
