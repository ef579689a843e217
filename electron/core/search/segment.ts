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

/**
 * The scripts cut into characters. Script_Extensions, so that marks shared by several of them
 * count too: the katakana long-vowel mark ー (コーヒー), 々, the halfwidth forms. The renderer
 * keeps a copy of this list for its highlighting (renderer/src/features/search/highlight.ts);
 * a unit test checks the two agree.
 */
export const SEGMENTED_SCRIPTS = '\\p{scx=Han}\\p{scx=Hiragana}\\p{scx=Katakana}\\p{scx=Hangul}\\p{scx=Thai}\\p{scx=Lao}\\p{scx=Khmer}\\p{scx=Myanmar}';

const ANY = new RegExp(`[${SEGMENTED_SCRIPTS}]`, 'u');
/** One character of those scripts (not itself a mark) with the marks that follow it. */
const CHARACTER = new RegExp(`(?:(?!\\p{M})[${SEGMENTED_SCRIPTS}])\\p{M}*`, 'gu');

/** Whether `text` has anything in those scripts (the quick test that leaves other text untouched). */
export function hasSegmentedScript(text: string): boolean {
  return ANY.test(text);
}

/**
 * The text as the index is given it: each character of those scripts set apart by spaces, so
 * unicode61 makes it a word. Other text is returned as it is (the same string, no copy).
 */
export function segmentForIndex(text: string): string {
  if (!text || !ANY.test(text)) return text;
  CHARACTER.lastIndex = 0;
  return text.replace(CHARACTER, ' $& ');
}

/**
 * The index's words for one query word (lower case, letters and digits only, as query.ts's
 * words() gives it): itself when it has none of those scripts, else its pieces in order
 * ("email会议" → email, 会, 议), searched as a phrase.
 */
export function segmentWord(word: string): string[] {
  if (!ANY.test(word)) return [word];
  return segmentForIndex(word).split(' ').filter(Boolean);
}
