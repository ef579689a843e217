/**
 * The index reads every part a mail client shows as text: a forwarded message (message/rfc822)
 * and a bounce's text/rfc822-headers. Real corpus mail where notmuch found a word and Popbox did
 * not (bench:search, issue 17 §4): spam-2/00169 has "money" only in the message it forwards,
 * easy-ham-2/01311 has "Linux" and "razor" only in the returned headers of a bounce.
 */
import { describe, expect, it } from 'vitest';
import { extractText } from '../../electron/core/search/extract.js';
import { words } from '../../electron/core/search/query.js';
import { corpusFileSync } from '../support/spam-corpus.js';

const corpus = (name: string): Buffer => corpusFileSync(`${name}.txt`);

describe('parts a mail client shows as text', () => {
  it('a forwarded message: its text is indexed (spam-2/00169 "money")', async () => {
    const body = words((await extractText(corpus('spam-2/00169.86268e75abd1bd4bda4d6c129681df34'))).body);
    expect(body).toContain('money');
  });

  it('a bounce: the returned headers are indexed (easy-ham-2/01311 "linux", "razor")', async () => {
    const body = words((await extractText(corpus('easy-ham-2/01311.b6a06b3e24130a32172b4c5225a1d5a6'))).body);
    expect(body).toContain('linux');
    expect(body).toContain('razor');
  });

  it('messages nested deeper than three are not opened (bounded work)', async () => {
    let msg = 'Subject: in\nContent-Type: text/plain\n\ninnermost words\n';
    for (let i = 0; i < 5; i++) msg = `Subject: level ${i}\nContent-Type: multipart/mixed; boundary="b${i}"\n\n--b${i}\nContent-Type: text/plain\n\nlevel${i}\n--b${i}\nContent-Type: message/rfc822\n\n${msg}\n--b${i}--\n`;
    const body = words((await extractText(Buffer.from(msg))).body);
    expect(body).toEqual(expect.arrayContaining(['level4', 'level3', 'level2', 'level1']));
    expect(body).not.toContain('innermost');
  });
});
