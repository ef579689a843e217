/**
 * Words in scripts written without spaces (segment.ts): cut into characters the same way in the
 * index and in the query, so a Chinese, Japanese or Thai word is found wherever it stands in a
 * longer text, exactly where it is a piece of that text (checked against a real FTS5 index over
 * random sentences); Latin text and queries unchanged; the list's snippet and the marks the
 * renderer draws find the same place.
 */
import fc from 'fast-check';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ftsExpression } from '../../electron/core/search/fts-query.js';
import { IndexDb } from '../../electron/core/search/index-db.js';
import { MAX_WORDS, parseQuery, type Clause } from '../../electron/core/search/query.js';
import { hasSegmentedScript, SEGMENTED_SCRIPTS, segmentForIndex, segmentWord } from '../../electron/core/search/segment.js';
import { snippetAround } from '../../electron/core/search/snippet.js';
import { matchRanges } from '../../renderer/src/features/search/highlight.js';

type Text = Extract<Clause, { t: 'text' }>;
/** The FTS5 expression of each group of a query, as search-index.ts builds it (without stems). */
const fts = (q: string): string[] => parseQuery(q).groups.map((g) => g.map((it) => ftsExpression(it.clause as Text)).join(' OR '));
const marked = (text: string, q: string): string[] => matchRanges(text, parseQuery(q).terms).map(([s, e]) => text.slice(s, e));

describe('segmenting scripts without spaces', () => {
  it('sets each Chinese, Japanese, Thai, Korean character apart, marks with their letter, and leaves other text as it is', () => {
    expect(segmentForIndex('明天的会议改到三点').split(' ').filter(Boolean)).toEqual(['明', '天', '的', '会', '议', '改', '到', '三', '点']);
    // Katakana with its long-vowel mark (script Common, Katakana by extension) and 々.
    expect(segmentWord('コーヒー')).toEqual(['コ', 'ー', 'ヒ', 'ー']);
    expect(segmentWord('時々')).toEqual(['時', '々']);
    // Thai vowel and tone marks stay on their consonant.
    expect(segmentWord('ประชุม')).toEqual(['ป', 'ร', 'ะ', 'ชุ', 'ม']);
    expect(segmentWord('회의를')).toEqual(['회', '의', '를']);
    // A Latin word written onto Chinese keeps its letters together.
    expect(segmentWord('email会议')).toEqual(['email', '会', '议']);
    // A character outside the Basic Multilingual Plane (CJK Extension B) is one piece.
    expect(segmentWord('𠮷野家')).toEqual(['𠮷', '野', '家']);
    for (const latin of ['Grüße aus München', 'Встреча в три часа', 'موعد الاجتماع', 'e-mail budget 2026', '']) {
      expect(hasSegmentedScript(latin)).toBe(false);
      expect(segmentForIndex(latin)).toBe(latin);
      for (const w of latin.split(' ')) expect(segmentWord(w)).toEqual([w]);
    }
  });

  it('finds every character of those scripts after any Latin text, whatever its code point (the quick pre-check misses none)', () => {
    // Each code point after English text with typographic quotes: the text is cut exactly where
    // the Unicode classes alone say it has such a character.
    const scripts = new RegExp(`[${SEGMENTED_SCRIPTS}]`, 'u');
    const lead = 'Re: the “meeting” — at 3 ';
    const missed: string[] = [];
    for (let c = 0; c <= 0x10ffff; c++) {
      if (c >= 0xd800 && c <= 0xdfff) continue;
      const ch = String.fromCodePoint(c);
      if (hasSegmentedScript(lead + ch) !== scripts.test(ch)) missed.push(c.toString(16));
    }
    expect(missed).toEqual([]);
    expect(segmentForIndex(`${lead}会议`)).toBe(`${lead} 会  议 `);
  });

  it('cuts any text as one pass over the whole of it would (marks kept on their character, Latin text between untouched)', () => {
    const character = new RegExp(`(?:(?!\\p{M})[${SEGMENTED_SCRIPTS}])\\p{M}*`, 'gu');
    const whole = (t: string): string => t.replace(character, ' $& ');
    // Latin, accents (precomposed and combining), Cyrillic, Chinese, kana with ー, Thai with its
    // marks, Hangul, a combining mark after Han, the middle dot, astral Han, emoji, punctuation.
    const pieces = ['a', 'Z', ' ', '\n', 'é', 'e\u0301', 'Ж', '会', '议', 'ー', 'コ', 'ป', 'ุ', '่', '회', '\u0303', '·', '𠮷', '😀', '“', '—', '3', '.', '\u200d'];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...pieces), { maxLength: 40 }), (parts) => {
        const text = parts.join('');
        expect(segmentForIndex(text)).toBe(whole(text));
      }),
      { numRuns: 2000 },
    );
    // Every character CHARACTER can take (a script's or any mark) is in a run that is cut.
    const marks = /\p{M}/u;
    const scripts = new RegExp(`[${SEGMENTED_SCRIPTS}]`, 'u');
    const outside: string[] = [];
    for (let c = 0; c <= 0x10ffff; c++) {
      if (c >= 0xd800 && c <= 0xdfff) continue;
      const ch = String.fromCodePoint(c);
      if (!marks.test(ch) && !scripts.test(ch)) continue;
      if (segmentForIndex(`会${ch}`) !== whole(`会${ch}`)) outside.push(c.toString(16));
    }
    expect(outside).toEqual([]);
    expect(segmentForIndex('Grüße · “quotes” – 3 €')).toBe('Grüße  ·  “quotes” – 3 €');
  });

  it('queries: such a word is the phrase of its characters, exact (no English stems), searched from one character on', () => {
    expect(fts('会议 ')).toEqual(['("会 议")']);
    expect(fts('会议')).toEqual(['("会 议" *)']);
    expect(fts('会')).toEqual(['("会" *)']);
    expect(fts('subject:会議 -ประชุม ')).toEqual(['(subject : ("会 議"))', '("ป ร ะ ชุ ม")']);
    expect(fts('"明天 会议" ')).toEqual(['("明 天 会 议")']);
    expect(fts('email会议 ')).toEqual(['("email 会 议")']);
    expect(parseQuery('会议 ').groups[0]![0]!.clause).toEqual({ t: 'text', field: 'any', words: ['会议'], phrase: false, prefix: false });
    expect(parseQuery('会议 ').terms).toEqual([{ text: '会议', prefix: false }]);
    expect(parseQuery('会议 ').understood).toBe('会议');
    // Latin words as before: stems, prefixes, one letter waits.
    expect(parseQuery('meeting ').groups[0]![0]!.clause).toEqual({ t: 'text', field: 'any', words: ['meeting'], phrase: false, prefix: false, stem: true });
    expect(fts('budget rev')).toEqual(['("budget")', '("rev" *)']);
    expect(fts('budget r')).toEqual(['("budget")']);
  });

  it('bounds a query of characters as it bounds words: each character counts as one of the 32 words searched', () => {
    const tokens = (q: string): number => fts(q).join(' ').match(/[^\s"()*:]+/gu)?.length ?? 0;
    // 1,000 characters without a space (the page may send any 1,000): their first 32 are searched, and it is said.
    const long = parseQuery(`${'明天的会议改到三点'.repeat(112)} `);
    expect(long.groups).toHaveLength(1);
    expect(long.groups[0]![0]!.clause).toMatchObject({ words: ['明天的会议改到三点'.repeat(3) + '明天的会议'] });
    expect(long.ignored).toContain(`Only the first ${MAX_WORDS} words are searched`);
    expect(tokens(`${'明天的会议改到三点'.repeat(112)} `)).toBe(MAX_WORDS);
    // Words first, then the characters of the one that crosses the limit; nothing after it.
    const mixed = `${Array.from({ length: 20 }, (_, i) => `w${i}`).join(' ')} 会议改到三点会议改到三点会议改到三点 later `;
    expect(tokens(mixed)).toBe(MAX_WORDS);
    expect(parseQuery(mixed).terms.at(-1)).toEqual({ text: '会议改到三点会议改到三点', prefix: false });
    // Latin queries are bounded as before.
    const latin = parseQuery(`"${Array.from({ length: 40 }, (_, i) => `w${i}`).join(' ')}" `);
    expect(latin.groups[0]![0]!.clause).toMatchObject({ phrase: true, words: Array.from({ length: 32 }, (_, i) => `w${i}`) });
    expect(parseQuery('会议 '.repeat(40)).ignored).toEqual([]);
  });

  describe('in a real FTS5 index', () => {
    let dir: string;
    let db: IndexDb;
    const sentences = ['明天的会议改到三点', '我们下周在北京开会', '明日の会議は三時に変更します', 'พรุ่งนี้มีประชุมตอนบ่ายสาม', 'The budget meeting is at three'];

    beforeAll(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'popbox-segment-'));
      db = IndexDb.open(path.join(dir, 'index.sqlite')).db;
      db.write(
        sentences.map((body, i) => ({ id: `m${i}`, partial: false, sender: '', recipients: '', subject: '', body, files: '' })),
        [],
      );
    });
    afterAll(() => {
      db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    const hits = (q: string): string[] => db.match(fts(q).map((e) => `(${e})`).join(' AND ')).map((r) => db.idAt(r)!).sort();

    it('finds a word inside a sentence and nowhere it is not', () => {
      expect(hits('会议 ')).toEqual(['m0']);
      expect(hits('三点 ')).toEqual(['m0']);
      expect(hits('议改 ')).toEqual(['m0']);
      expect(hits('会 ')).toEqual(['m0', 'm1', 'm2']);
      expect(hits('三時 ')).toEqual(['m2']);
      expect(hits('ประชุม ')).toEqual(['m3']);
      expect(hits('会议 北京 ')).toEqual([]);
      expect(hits('meeting ')).toEqual(['m4']);
      expect(hits('meet ')).toEqual([]);
      expect(hits('meet')).toEqual(['m4']);
    });

    it('a run of characters is found exactly where it is a piece of the text (random sentences)', () => {
      const alphabet = [...'会议明天三点开北京的了改到時間'];
      const sentence = fc.array(fc.constantFrom(...alphabet), { minLength: 1, maxLength: 12 }).map((cs) => cs.join(''));
      fc.assert(
        fc.property(fc.array(sentence, { minLength: 1, maxLength: 6 }), fc.array(fc.constantFrom(...alphabet), { minLength: 1, maxLength: 3 }), (texts, q) => {
          const dir2 = fs.mkdtempSync(path.join(os.tmpdir(), 'popbox-segment-p-'));
          const idx = IndexDb.open(path.join(dir2, 'index.sqlite')).db;
          try {
            idx.write(
              texts.map((body, i) => ({ id: `t${i}`, partial: false, sender: '', recipients: '', subject: '', body, files: '' })),
              [],
            );
            const word = q.join('');
            const got = idx.match(fts(`${word} `)[0]!).map((r) => idx.idAt(r)!).sort();
            const want = texts.flatMap((t, i) => (t.includes(word) ? [`t${i}`] : [])).sort();
            expect(got).toEqual(want);
          } finally {
            idx.close();
            fs.rmSync(dir2, { recursive: true, force: true });
          }
        }),
        { numRuns: 60 },
      );
    });
  });

  it('the snippet starts near the word inside the sentence; Latin snippets are unchanged', () => {
    const long = `${'前言部分的内容很长。'.repeat(20)}明天的会议改到三点，请准时参加。${'后面的内容。'.repeat(40)}`;
    const s = snippetAround(long, parseQuery('会议 ').terms)!;
    expect(s.startsWith('…')).toBe(true);
    expect(s).toContain('明天的会议改到三点');
    // The word stays near the start of the row (Chinese characters are twice as wide).
    expect(s.indexOf('会议')).toBeLessThanOrEqual(25);
    expect(s.length).toBeGreaterThan(100);
    expect(snippetAround('我们下周在北京开会', parseQuery('会议 ').terms)).toBeNull();
    expect(snippetAround('Hello, email会议 here', parseQuery('email会议 ').terms)).toBe('Hello, email会议 here');
    expect(snippetAround('Hello, myemail会议 here', parseQuery('email会议 ').terms)).toBeNull();
    // Whichever of a Latin and a Chinese word comes first.
    expect(snippetAround(`budget ${'x '.repeat(100)} 会议`, parseQuery('会议 budget ').terms)!.startsWith('budget')).toBe(true);
    expect(snippetAround('Café prices went up; the budget is fine.', parseQuery('cafe budg').terms)).toBe('Café prices went up; the budget is fine.');
  });

  it('the renderer marks the word inside the sentence, and Latin words stay whole', () => {
    expect(marked('明天的会议改到三点', '会议 ')).toEqual(['会议']);
    expect(marked('明日の会議は三時に変更します。コーヒーを用意します。', '三時 コーヒー')).toEqual(['三時', 'コーヒー']);
    expect(marked('พรุ่งนี้มีประชุมตอนบ่ายสาม', 'ประชุม ')).toEqual(['ประชุม']);
    // Typed on: the character being typed is marked alone, not the sentence after it.
    expect(marked('明天的会议改到三点', '会议')).toEqual(['会议']);
    expect(marked('email会议 myemail会议', 'email会议 ')).toEqual(['email会议']);
    expect(marked('the party art', 'art ')).toEqual(['art']);
    expect(marked('meeting meet', 'meet')).toEqual(['meeting', 'meet']);
  });
});
