/**
 * Text clauses of a parsed query as FTS5 expressions. Every word is quoted, so nothing a person
 * types can become FTS5 syntax (the words hold only letters, digits and marks anyway).
 */
import type { Clause, TextField } from './query.js';
import { segmentWord } from './segment.js';

const COLUMN: Record<TextField, string | null> = { any: null, from: 'sender', to: 'recipients', subject: 'subject', filename: 'files' };

/** `forms`: a stemmed word's forms in the index (the word itself first); the word alone when not given. */
export function ftsExpression(c: Extract<Clause, { t: 'text' }>, forms?: (word: string) => string[]): string {
  let body: string;
  // A word in a script without spaces is the phrase of its characters, as the index holds them
  // (segment.ts): 会议 is "会 议", found inside 明天的会议改到三点. Other words are unchanged.
  const seg = (w: string): string => segmentWord(w).join(' ');
  if (c.stem && forms && c.words.length === 1) body = forms(c.words[0]!).map((w) => `"${seg(w)}"`).join(' OR ');
  else if (c.phrase) body = `"${c.words.map(seg).join(' ')}"${c.prefix ? ' *' : ''}`;
  else body = c.words.map((w, i) => `"${seg(w)}"${c.prefix && i === c.words.length - 1 ? ' *' : ''}`).join(' AND ');
  const column = COLUMN[c.field];
  return column === null ? `(${body})` : `(${column} : (${body}))`;
}
