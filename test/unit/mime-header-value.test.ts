/**
 * header-value.ts reads ordinary header values without loading libmime (issue 18: libmime's import
 * was most of a parse worker's start). Its answers must be libmime's for every input, the ones it
 * hands to libmime included: every header field of the SpamAssassin corpus (raw and as the
 * summaries decode them), every byte in every charset label it decodes itself, and tens of
 * thousands of generated values built from the hard parts (comments, quoted strings with escapes,
 * RFC 2231 continuations, charset'lang'value, encoded words split and joined, malformed words).
 */
import fc from 'fast-check';
import libmimeEsm from 'libmime';
import { simpleParser } from 'mailparser';
import { afterAll, describe, expect, it, vi } from 'vitest';
import libcharset from 'libmime/lib/charset.js';
import { iconvSingleByte } from '../../electron/core/mime/charset.js';
import { decodeHeader, decodeWords, DECODED_LABELS, parseHeaderValue } from '../../electron/core/mime/header-value.js';
import { fieldValue, splitHeader } from '../../electron/core/mime/headers.js';
import { libmime as lazyLibmime } from '../../electron/core/mime/libmime-lazy.js';
import { decodeFlowed } from '../../electron/core/mime/part-text.js';
import { describePart } from '../../electron/core/mime/structure.js';
import { extractText } from '../../electron/core/search/extract.js';
import { CORPUS_GROUPS, corpusMessage, corpusNames } from '../support/spam-corpus.js';

/** The reference: libmime's ES module build, a copy of its own (the lazy one is the CommonJS build). */
const reference = libmimeEsm;

// How often header-value.ts hands an input to libmime (logged: ordinary mail should rarely need it).
const handed = {
  decodeWords: vi.spyOn(lazyLibmime(), 'decodeWords'),
  parseHeaderValue: vi.spyOn(lazyLibmime(), 'parseHeaderValue'),
};
afterAll(() => vi.restoreAllMocks());

type Outcome = { value: unknown } | { threw: string };
function outcome(fn: () => unknown): Outcome {
  try {
    return { value: fn() };
  } catch (e) {
    return { threw: String(e) };
  }
}

function sameWords(value: string, label = value): void {
  expect(outcome(() => decodeWords(value)), label).toStrictEqual(outcome(() => reference.decodeWords(value)));
}

function sameParsed(value: string, label = value): void {
  for (const stripComments of [false, true]) {
    const mine = outcome(() => parseHeaderValue(value, { stripComments }));
    const theirs = outcome(() => {
      const r = reference.parseHeaderValue(value, { stripComments });
      return { value: r.value, params: r.params };
    });
    expect(mine, `${label} (stripComments ${stripComments})`).toStrictEqual(theirs);
    // which params came decoded from RFC 2231 (a caller must not decode those again)
    expect(
      outcome(() => parseHeaderValue(value, { stripComments }).decodedParams),
      `${label} (decodedParams, stripComments ${stripComments})`,
    ).toStrictEqual(outcome(() => reference.parseHeaderValue(value, { stripComments }).decodedParams));
  }
  expect(outcome(() => parseHeaderValue(value)), label).toStrictEqual(outcome(() => parseHeaderValue(value, { stripComments: false })));
}

function sameHeader(line: string, label = line): void {
  expect(decodeHeader(line), label).toStrictEqual(reference.decodeHeader(line));
}

const counts = (): string => `${handed.decodeWords.mock.calls.length} decodeWords, ${handed.parseHeaderValue.mock.calls.length} parseHeaderValue`;

describe('header values read as libmime reads them', () => {
  it('every byte in each single-byte charset decoded as iconv-lite decodes it (libmime, mailparser)', () => {
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const names = ['windows-1252', 'koi8-r', 'koi8-u', ...[2, 3, 4, 5, 6, 7, 8, 10, 13, 14, 15].map((n) => `iso-8859-${n}`), 'iso-8859-8-i', ...[1250, 1251, 1254, 1256, 1257, 1258].map((n) => `windows-${n}`)];
    for (const name of names) expect(iconvSingleByte(all, name), name).toBe(libcharset.decode(all, name));
    // and the ones left to iconv-lite, where TextDecoder differs or there is none
    for (const name of ['ibm866', 'windows-874', 'windows-1253', 'windows-1255', 'macintosh', 'x-mac-cyrillic', 'iso-8859-16', 'gbk', 'utf-16le']) expect(iconvSingleByte(all, name), name).toBeNull();
  });

  it('every byte in each charset label decoded without libmime, in Q and B, in any case, and which labels libmime joins', () => {
    const labels = [...DECODED_LABELS, ...DECODED_LABELS.map((l) => l.toUpperCase()), 'Utf8', ' utf-8 ', 'utf-8*en', 'iso-8859-1*de', '*en'];
    expect(DECODED_LABELS.length).toBeGreaterThan(25);
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const q = [...all].map((b) => `=${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');
    for (const label of labels) {
      sameWords(`=?${label}?Q?${q}?=`, `${label} Q`);
      sameWords(`=?${label}?q?${q.toLowerCase()}?=`, `${label} q`);
      sameWords(`=?${label}?B?${all.toString('base64')}?=`, `${label} B`);
      // UTF-8 split between two words of one charset (joined before decoding), and of two spellings
      sameWords(`=?${label}?B?${Buffer.from('é').subarray(0, 1).toString('base64')}?= =?${label}?B?${Buffer.from('é').subarray(1).toString('base64')}?=`, `${label} split`);
      sameWords(`=?${label}?Q?=C3?= \t=?utf-8?Q?=A9?=`, `${label} beside utf-8`);
      sameParsed(`attachment; filename*=${label.replace('*', '')}'en'%C3%A9t%E9%20%80%9D%B1%F0.txt`, `${label} RFC 2231`);
    }
    // Words of two labels are joined when libmime names both charsets alike: a Q escape cut
    // between them ("=" | "41") reads as "A" only then.
    for (const a of labels) for (const b of labels) sameWords(`=?${a}?Q?x=?= =?${b}?Q?41?=`, `${a} + ${b}`);
  });

  it('format=flowed bodies decoded as libmime decodes them (property test)', () => {
    const piece = fc.constantFrom('word', ' ', '  ', '>', '> ', '>>', '>> ', '-- ', '--', 'a b ', '\r', 'é', '\t');
    const line = fc.array(piece, { maxLength: 6 }).map((a) => a.join(''));
    const body = fc.tuple(fc.array(line, { maxLength: 12 }), fc.constantFrom('\n', '\r\n')).map(([ls, nl]) => ls.join(nl));
    fc.assert(
      fc.property(body, fc.boolean(), (text, delSp) => {
        expect(decodeFlowed(text, delSp)).toBe(reference.decodeFlowed(text, delSp));
      }),
      { numRuns: 20_000, seed: 3676 },
    );
  });

  it('every header field of the SpamAssassin corpus', { timeout: 600_000 }, async () => {
    let fields = 0;
    for (const group of CORPUS_GROUPS) {
      for (const name of await corpusNames(group)) {
        const { lines } = splitHeader(await corpusMessage(group, name));
        for (const line of lines) {
          const label = `${group}/${name} ${line.key}`;
          sameHeader(line.line, label);
          // The value as a part's header reader sees it (binary, or UTF-8 where it is valid) and as the summary's fields do (decoded text).
          const values = [reference.decodeHeader(line.line).value, fieldValue(line)];
          const utf8 = Buffer.from(line.line, 'latin1').toString('utf8');
          if (!utf8.includes('\ufffd') && utf8 !== line.line) {
            sameHeader(utf8, `${label} (UTF-8)`);
            values.push(reference.decodeHeader(utf8).value);
          }
          for (const value of values) {
            sameWords(value, label);
            sameParsed(value, label);
          }
          fields++;
        }
      }
    }
    expect(fields).toBeGreaterThan(100_000);
    console.log(`corpus: ${fields} fields; handed to libmime: ${counts()}`);
  });

  it('values made of the hard parts (property test, tens of thousands)', { timeout: 600_000 }, () => {
    const charset = fc.constantFrom('utf-8', 'UTF-8', 'utf8', 'us-ascii', 'iso-8859-1', 'ISO-8859-1', 'latin1', 'windows-1252', 'cp1252', 'iso-8859-2', 'iso-8859-15', 'koi8-r', 'gb2312', 'shift_jis', 'utf-7', 'x-unknown', 'utf-8*en', 'ISO-8859-1*fr', '', ' utf-8', 'UTF_8');
    const qText = fc
      .array(fc.oneof(fc.constantFrom('=C3', '=A9', '=E9', '=80', '=9D', '=3F', '=20', '=5F', '_', ' ', '\t', '= A', '=\tf', '=', '=G1', 'a', 'Z', '0', '(', ')', '"', ';', '\\', 'é', '€', ',', '*'), fc.string({ maxLength: 3 })), { maxLength: 12 })
      .map((a) => a.join('').replace(/\?/g, ''));
    const bText = fc.oneof(
      fc.uint8Array({ maxLength: 24 }).map((b) => Buffer.from(b).toString('base64')),
      fc.uint8Array({ maxLength: 12 }).map((b) => Buffer.from(b).toString('base64') + Buffer.from(b).toString('base64')),
      fc.constantFrom('w6k=', 'w6', 'w6k', '=w6k', 'w6k==w6k', 'w6-_', 'w6k =', 'Ł6k=', ''),
    );
    const word = fc.oneof(
      fc.tuple(charset, fc.constantFrom('Q', 'q'), qText).map(([c, e, t]) => `=?${c}?${e}?${t}?=`),
      fc.tuple(charset, fc.constantFrom('B', 'b'), bText).map(([c, e, t]) => `=?${c}?${e}?${t}?=`),
      fc.constantFrom('=?utf-8?Q?', '?=', '=?', '=?utf-8?X?abc?=', '=?utf-8??abc?=', '=??Q?abc?=', '=?utf-8?Q?a?b?=', `__\x00JOIN\x00__`),
    );
    const space = fc.constantFrom(' ', '  ', '\t', '\r\n ', '\n\t', '', '\r', '\u00a0', '\u2028');
    const token = fc.oneof(
      word,
      space,
      fc.constantFrom('text/plain', 'multipart/mixed', 'attachment', 'inline', 'TEXT/HTML', 'a', 'b c', 'Invoice(1).pdf', 'x'),
      fc.constantFrom(';', '; ', '=', '"', '\\"', '\\', '\\\\', '(', ')', '(comment)', '(nested (comment))', '(\\))', "'", '%', '%E9', '%C3%A9', '%2', '*', ','),
      fc.constantFrom('charset=utf-8', 'charset="iso-8859-1"', 'boundary="=_b (c)"', 'boundary=b (c)', 'name="a;b.txt"', 'name="a\\"b.txt"', 'filename=Invoice(1).pdf', 'format=flowed', 'delsp=yes', 'emptykey', 'x=', '__proto__=x', 'constructor=y'),
      fc.constantFrom("filename*=utf-8''%E2%82%AC%20rates.pdf", "filename*=iso-8859-1'fr'r%E9sum%E9.txt", "filename*=''plain", "filename*=koi8-r''%F0%D2", 'filename*0="a b"', 'filename*1="c.txt"', "filename*0*=utf-8''%C3", 'filename*1*=%A9', 'filename*2=.pdf', 'filename*00=x', 'name*=abc', "title*0*=us-ascii'en'This%20is", 'title*1*=%2A%2A%2Afun%2A%2A%2A%20', 'title*2="isn\'t it!"'),
      fc.tuple(fc.constantFrom('name', 'filename', 'title'), fc.constantFrom('', '*', '*0', '*0*', '*1', '*1*', '*2*'), fc.constantFrom('=', '= '), fc.oneof(word, qText, fc.constantFrom('"', "utf-8''%C3%A9", "iso-8859-1'x'%E9", "'en'%20"))).map((p) => p.join('')),
    );
    const value = fc.array(token, { maxLength: 14 }).map((a) => a.join(''));
    let runs = 0;
    fc.assert(
      fc.property(value, (v) => {
        sameWords(v);
        sameParsed(v);
        sameHeader(`Content-Type:${v}`);
        sameHeader(`X-Folded: ${v.replace(/ /g, '\r\n ')}`);
        runs++;
      }),
      { numRuns: 40_000, seed: 18 },
    );
    expect(runs).toBe(40_000);
    console.log(`generated: handed to libmime so far: ${counts()}`);
  });

  it('values mutated at random, RFC 2231 sections out of order, broken B and Q (property test)', { timeout: 600_000 }, () => {
    const label = fc.constantFrom(...DECODED_LABELS, 'UTF-8', 'Latin1', 'utf-8*en', '*en', '*', ' utf-8', 'iso-8859-2*pl', 'x-unknown');
    const bText = fc.oneof(
      fc.uint8Array({ maxLength: 18 }).map((b) => Buffer.from(b).toString('base64')),
      fc.string({ unit: fc.constantFrom(...'ABCwxyz0189+/', '=', '==', '-', '_', ' ', '\t', '.', 'é', 'Ł', '\u2028', '😀'), maxLength: 14 }),
    );
    const qText = fc.string({ unit: fc.constantFrom('=C3', '=a9', '=E2=82=AC', '=F0=9F', '=98=80', '_', ' ', '\t', '= ', '=\r\n ', '= \tA', '=G', '=', 'a', 'é', '😀', '\u00a0', '\u3000', '%', '(', '"', ';'), maxLength: 10 });
    const word = fc.oneof(
      fc.tuple(label, fc.constantFrom('Q', 'q'), qText).map(([l, e, t]) => `=?${l}?${e}?${t}?=`),
      fc.tuple(label, fc.constantFrom('B', 'b'), bText).map(([l, e, t]) => `=?${l}?${e}?${t}?=`),
    );
    const space = fc.constantFrom(' ', '', '\t', '\r\n ', '\u00a0', '\u2028', '\ufeff');
    const words = fc.array(fc.tuple(word, space), { minLength: 1, maxLength: 5 }).map((ws) => ws.map(([w, sp]) => w + sp).join(''));
    const percent = fc.string({ unit: fc.constantFrom('%C3', '%A9', '%e2%82%ac', '%', '%4', '%G1', 'a', '.', ' ', '_', '=', 'é', '😀', '\t', '\u00a0', '\u2028', "'", '\\"', '*'), maxLength: 8 });
    const section = fc.record({ n: fc.constantFrom('0', '1', '2', '3', '00', '01', ''), extended: fc.boolean(), head: fc.option(fc.tuple(label, fc.constantFrom('', 'en', 'de-DE')), { nil: undefined }), text: fc.oneof(percent, word), quoted: fc.boolean() });
    const sections = fc
      .tuple(fc.constantFrom('filename', 'name', 'title', 'FileName', '__proto__'), fc.array(section, { minLength: 1, maxLength: 4 }), fc.option(fc.constantFrom('"plain.txt"', 'plain', '=?utf-8?B?w6k=?='), { nil: undefined }))
      .map(([name, parts, plain]) => {
        const written = parts.map(({ n, extended, head, text, quoted }) => {
          const value = (head ? `${head[0]}'${head[1]}'` : '') + text;
          return `${name}${n === '' ? '' : `*${n}`}${extended ? '*' : ''}=${quoted ? `"${value}"` : value}`;
        });
        if (plain) written.push(`${name}=${plain}`);
        return written.join('; ');
      });
    const structured = fc.tuple(fc.constantFrom('attachment', 'text/plain', 'inline (c)', ''), fc.array(fc.oneof(sections, words.map((w) => `name="${w}"`), fc.constantFrom('charset=utf-8', 'x=(a)b', 'y="q"junk', 'z (c)=1', '(open')), { maxLength: 3 })).map(([v, ps]) => [v, ...ps].join('; '));
    const special = fc.constantFrom('=', '?', '_', '%', '"', '\\', '(', ')', ';', "'", '*', ' ', '\t', '\r\n ', '\u00a0', '\u2028', '=?', '?=', 'B', 'Q', '0', '/', 'é');
    const edit = fc.tuple(fc.nat(), fc.constantFrom('insert', 'delete', 'replace', 'rotate'), special);
    const mutated = fc.tuple(fc.oneof(words, structured), fc.array(edit, { maxLength: 3 })).map(([base, edits]) =>
      edits.reduce((s, [at, kind, ch]) => {
        const i = at % (s.length + 1);
        if (kind === 'insert') return s.slice(0, i) + ch + s.slice(i);
        if (kind === 'delete') return s.slice(0, i) + s.slice(i + 1);
        if (kind === 'replace') return s.slice(0, i) + ch + s.slice(i + 1);
        return s.slice(i) + s.slice(0, i);
      }, base),
    );
    fc.assert(
      fc.property(mutated, (v) => {
        sameWords(v);
        sameParsed(v);
        sameHeader(`Content-Disposition: ${v}`);
      }),
      { numRuns: 20_000, seed: 2231 },
    );
    console.log(`mutated: handed to libmime so far: ${counts()}`);
  });

  it('ordinary values without libmime: encoded subjects and names, content types, file names', () => {
    const before = { words: handed.decodeWords.mock.calls.length, parsed: handed.parseHeaderValue.mock.calls.length };
    const ordinary = [
      '=?UTF-8?B?w6lsw6hndWU=?= =?UTF-8?B?IGV0IGNv?=',
      '=?utf-8?Q?Gr=C3=BC=C3=9Fe_aus?= =?utf-8?Q?_Berlin?=',
      '=?iso-8859-1?Q?R=E9sum=E9?= for Ann',
      '=?us-ascii?Q?plain_words?=',
      '=?windows-1252?Q?=93quoted=94?=',
      '=?iso-8859-2?Q?Za=BF=F3=B3=E6?= =?koi8-r?B?8NLJ18XU?= =?windows-1251?Q?=CF=F0=E8?=',
      'Re: no encoded words at all',
    ];
    for (const v of ordinary) sameWords(v);
    const params = ['text/plain; charset="utf-8"; format=flowed; delsp=yes', 'multipart/mixed;\r\n boundary="----=_Part_1 (x)"', "attachment; filename*=UTF-8''%E2%82%AC%20rates.pdf", 'attachment; filename*0="long name "; filename*1="part two.txt"', 'inline; filename="=?utf-8?B?w6k=?=.txt"'];
    for (const v of params) sameParsed(v);
    expect(decodeWords('=?utf-8?Q?caf=C3=A9?=')).toBe('café');
    expect(parseHeaderValue("attachment; filename*=utf-8''%E2%82%AC.pdf").params.filename).toBe('€.pdf');
    // None of them was handed to libmime: the test of what the worker loads depends on it.
    expect(handed.decodeWords.mock.calls.length).toBe(before.words);
    expect(handed.parseHeaderValue.mock.calls.length).toBe(before.parsed);
    // and these are
    sameWords('=?gb2312?B?xOO6ww==?=');
    expect(handed.decodeWords.mock.calls.length).toBe(before.words + 1);
    expect(parseHeaderValue("attachment; filename*=big5''%A4%A4.txt").params.filename).toBe('中.txt');
    expect(handed.parseHeaderValue.mock.calls.length).toBe(before.parsed + 1);
  });
  it('a file name decoded from RFC 2231 is not decoded again: the name mailparser gives, in the search text too', async () => {
    // filename*= percent-encodes an encoded word: decoded twice "invoice=?utf-8?Q?=2Eexe?=" would read "invoice.exe"
    const names = [
      "Content-Disposition: attachment; filename*=utf-8''invoice%3D%3Futf-8%3FQ%3F%3D2Eexe%3F%3D",
      'Content-Disposition: attachment; filename*0="invoice=?utf-8?Q?=3D=3Futf-8=3FQ=3F=3D2Eexe=3F=3D?="',
      "Content-Type: application/octet-stream; name*=utf-8''report%3D%3Futf-8%3FB%3FLmV4ZQ%3D%3D%3F%3D",
      'Content-Disposition: attachment; filename="plain=?utf-8?Q?=2Epdf?="',
    ];
    for (const field of names) {
      const header = `${field.startsWith('Content-Type') ? '' : 'Content-Type: application/octet-stream\r\n'}${field}\r\nContent-Transfer-Encoding: base64\r\n`;
      const message = Buffer.from(`From: a@b\r\nSubject: x\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=XX\r\n\r\n--XX\r\nContent-Type: text/plain\r\n\r\nhi\r\n--XX\r\n${header}\r\nQUJD\r\n--XX--\r\n`);
      const parsed = await simpleParser(message);
      const expected = parsed.attachments.map((a) => a.filename);
      expect(expected, field).toHaveLength(1);
      expect(describePart(splitHeader(Buffer.from(`${header}\r\n`)).lines, false).filename, field).toBe(expected[0]);
      expect((await extractText(message)).files, field).toBe(expected[0]);
    }
    expect(describePart(splitHeader(Buffer.from(`Content-Type: application/octet-stream\r\n${names[0]}\r\n\r\n`)).lines, false).filename).toBe('invoice=?utf-8?Q?=2Eexe?=');
  });
});
