/**
 * How the in-memory search compares text (until the full-text index lands): case and accents
 * folded away, so "muller" finds "Müller" and "MULLER" finds "müller", and white space runs
 * count as one space, so a quoted phrase matches across a line break in a snippet.
 */

// Letters that are not a base letter plus a mark, so NFKD leaves them whole.
const LETTERS: Record<string, string> = { ß: 'ss', æ: 'ae', œ: 'oe', ø: 'o', đ: 'd', ł: 'l', ı: 'i', þ: 'th', ð: 'd' };
const LETTER_RE = new RegExp(`[${Object.keys(LETTERS).join('')}]`, 'g');

/** Lower case, without accents, white space collapsed. */
export function foldText(s: string): string {
  let t = s.toLowerCase();
  // Most mail is ASCII: the Unicode pass costs only where there is something to fold.
  // eslint-disable-next-line no-control-regex
  if (/[^\x00-\x7f]/.test(t)) t = t.normalize('NFKD').replace(/\p{M}+/gu, '').replace(LETTER_RE, (c) => LETTERS[c]!);
  // Most text has only single spaces: testing first skips the replace, the costliest part of
  // building 100,000 search texts (a run of two, or any other white space, is what changes).
  return /\s\s|[^\S ]/.test(t) ? t.replace(/\s+/g, ' ') : t;
}

/**
 * The terms of a search box's text, folded: words, and "quoted phrases" kept whole (typographic
 * quotes too; an unclosed quote runs to the end). Every term must appear for a message to match.
 */
export function searchTerms(search: string): string[] {
  const text = search.replace(/[“”„‟«»]/g, '"');
  const terms: string[] = [];
  for (const m of text.matchAll(/"([^"]*)"?|([^\s"]+)/g)) {
    const term = foldText(m[1] ?? m[2] ?? '').trim();
    if (term) terms.push(term);
  }
  return terms;
}
