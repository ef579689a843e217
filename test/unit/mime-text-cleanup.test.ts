/**
 * The clean-ups every text part goes through in a parse worker (issue 18: written for speed, they
 * must keep their old answers to the character): a decoded part's line ends as mailparser leaves
 * them (every CRLF or LF an LF, a lone CR kept), stripControls' removal of C0 controls and DEL
 * (tab, LF and CR kept), and the windows-* charsets' bytes 0x80–0x9f. Each is checked against the
 * regular expression it stood for, on text made of the characters that matter and long runs of
 * text without any of them.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeText, iconvSingleByte } from '../../electron/core/mime/charset.js';
import { decodeTextPart } from '../../electron/core/mime/part-text.js';
import { replaceWhereFound } from '../../electron/core/mime/replace-where-found.js';
import { stripControls } from '../../electron/core/mime/text.js';

const pieces = fc.constantFrom('\r', '\n', '\r\n', '\n\r', '\t', '\x00', '\x08', '\x0b', '\x0c', '\x1f', '\x7f', ' ', 'a', 'é', '会', '\u200b', 'x'.repeat(5000));
const texts = fc.array(pieces, { maxLength: 30 }).map((p) => p.join(''));
const plain = { encoding: '8bit', charset: 'utf-8', contentType: 'text/plain', flowed: false, delSp: false };

describe('text clean-ups', () => {
  it('a decoded part has LF line ends, lone CRs kept, as /\\r?\\n/g made them', () => {
    fc.assert(
      fc.property(texts, (text) => {
        expect(decodeTextPart(Buffer.from(text, 'utf8'), plain)).toBe(text.replace(/\r?\n/g, '\n'));
      }),
      { numRuns: 500 },
    );
    expect(decodeTextPart(Buffer.from('a\r\r\nb\n\rc\r', 'utf8'), plain)).toBe('a\r\nb\n\rc\r');
  });

  it('stripControls removes what the global replace removed, and nothing else', () => {
    fc.assert(
      fc.property(texts, (text) => {
        // eslint-disable-next-line no-control-regex -- the rule stripControls stands for
        expect(stripControls(text)).toBe(text.replace(/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/g, ''));
      }),
      { numRuns: 500 },
    );
    expect(stripControls('a\x00b\tc\r\n\x7fd')).toBe('ab\tc\r\nd');
    // Twice in a row on the same text: no state carried between calls.
    expect(stripControls('\x01x\x02')).toBe('x');
    expect(stripControls('\x01x\x02')).toBe('x');
  });

  it('windows-1252 and the other windows-* charsets read 0x80–0x9f as the global replace read them', () => {
    // windows-1252's 0x80–0x9f as WHATWG maps them (charset.ts CP1252_HIGH).
    const high = '\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u008d\u017d\u008f\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u009d\u017e\u0178';
    const bytes = fc.array(fc.oneof(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0x80, max: 0x9f }), fc.constant(-1)), { maxLength: 40 }).map((bs) =>
      Buffer.concat(bs.map((b) => (b < 0 ? Buffer.alloc(5000, 'a') : Buffer.of(b)))),
    );
    const cp1250 = new TextDecoder('windows-1250');
    fc.assert(
      fc.property(bytes, (buf) => {
        expect(decodeText(buf, 'windows-1252')).toBe(buf.toString('latin1').replace(/[\x80-\x9f]/g, (c) => high[c.charCodeAt(0) - 0x80]!));
        const iconvHigh = high.replace(/[\u0080-\u009f]/g, '\ufffd'); // iconv-lite's: the five undefined bytes are U+FFFD
        expect(iconvSingleByte(buf, 'windows-1252')).toBe(buf.toString('latin1').replace(/[\x80-\x9f]/g, (c) => iconvHigh[c.charCodeAt(0) - 0x80]!));
        expect(iconvSingleByte(buf, 'windows-1250')).toBe(cp1250.decode(buf).replace(/[\x80-\x9f]/g, '\ufffd'));
      }),
      { numRuns: 500 },
    );
    expect(decodeText(Buffer.of(0x93, 0x41, 0x94, 0x80), 'windows-1252')).toBe('\u201cA\u201d\u20ac');
  });

  it('replaceWhereFound finds from the start whatever the pattern\'s lastIndex was left at', () => {
    const digits = /\d/g;
    digits.lastIndex = 3;
    expect(replaceWhereFound('1ab', digits, '#')).toBe('#ab');
    expect(digits.test('a1')).toBe(true); // lastIndex now 2, past the digit of 'b2c'
    expect(replaceWhereFound('b2c', digits, (d) => `<${d}>`)).toBe('b<2>c');
    expect(replaceWhereFound('none', digits, '#')).toBe('none');
  });
});
