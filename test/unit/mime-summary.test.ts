import fc from 'fast-check';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { summarize } from '../../electron/core/mime/summary.js';
import { MessageSummary } from '../../shared/messages.js';
import { generateMessage, generateMessages, toCrlf } from '../support/mailgen.js';
import { base64Lines, eml, noise } from '../support/mime.js';

let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-mime-summary-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

/** Summarizes and checks the result against the IPC schema, as the journal will. */
async function sum(source: Buffer | string): Promise<MessageSummary> {
  const s = await summarize(source);
  return MessageSummary.parse(s);
}

// eslint-disable-next-line no-control-regex -- looking for control characters is the point
const CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/;

function noControls(s: MessageSummary): void {
  const strings = [s.subject, s.snippet, ...[...s.from, ...s.to, ...s.cc].flatMap((a) => [a.name, a.address])];
  for (const v of strings) expect(v).not.toMatch(CONTROL);
}

describe('summarize: headers', () => {
  it('decodes RFC 2047 B and Q words in several charsets, and joins a character split across words', async () => {
    const koi8 = Buffer.from([0xf0, 0xd2, 0xc9, 0xd7, 0xc5, 0xd4]).toString('base64'); // "Привет" in KOI8-R
    const s = await sum(
      eml(`From: =?ISO-8859-2?Q?=A3ukasz_=AF=F3=B3=E6?= <lukasz@example.org>
To: =?UTF-8?B?SsO8cmdlbiBNw7xsbGVy?= <jm@example.de>, =?KOI8-R?B?${koi8}?= <anna@example.ru>
Cc: "Plain, Name" <plain@example.com>, =?windows-1252?Q?Ren=E9e_=93R=94?= <renee@example.fr>
Subject: =?ISO-8859-1?Q?Caf=E9?= =?UTF-8?B?4oKs?= and =?windows-1252?Q?=93quoted=94?= =?UTF-8?Q?=C3?=
 =?UTF-8?Q?=A4?=
Date: Tue, 1 Jul 2003 10:52:37 +0200

Hi
`),
    );
    expect(s.subject).toBe('Café€ and “quoted”ä');
    expect(s.from).toEqual([{ name: 'Łukasz Żółć', address: 'lukasz@example.org' }]);
    expect(s.to).toEqual([
      { name: 'Jürgen Müller', address: 'jm@example.de' },
      { name: 'Привет', address: 'anna@example.ru' },
    ]);
    expect(s.cc).toEqual([
      { name: 'Plain, Name', address: 'plain@example.com' },
      { name: 'Renée “R”', address: 'renee@example.fr' },
    ]);
    expect(s.date).toBe('2003-07-01T08:52:37.000Z');
  });

  it('reads raw UTF-8 headers (RFC 6532) and raw Latin-1 ones', async () => {
    const s = await sum(Buffer.concat([Buffer.from('Subject: Grüße aus Köln\r\nFrom: ', 'utf8'), Buffer.from('Andr\xe9 <a@example.com>\r\n\r\nx\r\n', 'latin1')]));
    expect(s.subject).toBe('Grüße aus Köln');
    expect(s.from).toEqual([{ name: 'André', address: 'a@example.com' }]);
  });

  it('keeps Message-ID, In-Reply-To and a folded References list in angle brackets', async () => {
    const s = await sum(
      eml(`Message-ID: <child@example.com>
In-Reply-To: <parent@example.com> (sent by Bob)
References: <root@example.com>
 <mid@example.com>
	<parent@example.com>
Subject: Re: thread

x
`),
    );
    expect(s.messageId).toBe('<child@example.com>');
    expect(s.inReplyTo).toBe('<parent@example.com>');
    expect(s.references).toEqual(['<root@example.com>', '<mid@example.com>', '<parent@example.com>']);
  });

  it('gives a null date for a missing or unreadable Date header, never "now"', async () => {
    expect((await sum(eml('Subject: no date\n\nx\n'))).date).toBeNull();
    expect((await sum(eml('Subject: bad date\nDate: the day after tomorrow\n\nx\n'))).date).toBeNull();
    expect((await sum(eml('Date: Mon, 01 Jan 2024 10:00:00 -0500 (EST)\n\nx\n'))).date).toBe('2024-01-01T15:00:00.000Z');
    expect((await sum(eml('Date: 5 Feb 2024 23:30 +0100\n\nx\n'))).date).toBe('2024-02-05T22:30:00.000Z');
  });

  it('counts the size in bytes of the stored message, for a buffer and for a file', async () => {
    const msg = eml('Subject: size\n\nHello\n');
    const file = path.join(dir, 'size.eml');
    await fs.writeFile(file, msg);
    expect((await sum(msg)).size).toBe(msg.length);
    expect((await sum(file)).size).toBe(msg.length);
  });

  it('describes generated realistic messages (LF and CRLF) sensibly', async () => {
    for (const lf of generateMessages({ seed: 7, count: 40, mix: 'small' })) {
      for (const msg of [lf, toCrlf(lf)]) {
        const s = await sum(msg);
        expect(s.subject.length).toBeGreaterThan(0);
        expect(s.subject).not.toContain('=?');
        expect(s.from).toHaveLength(1);
        const raw = lf.toString('utf8');
        const fromField = (/^From: ([^\n]*(?:\n[ \t][^\n]*)*)/m.exec(raw)?.[1] ?? '').trim();
        expect(s.from[0]?.address).toBe(/<([^>]+)>/.exec(fromField)?.[1] ?? fromField);
        expect(s.messageId).toBe(/^Message-ID: (.*)$/m.exec(raw)?.[1]);
        expect(s.date).not.toBeNull();
        expect(s.snippet).toMatch(/^Hello [A-Z][a-z]+, \S/);
        expect(s.snippet.length).toBeGreaterThan(190); // 200 less a trailing space or half a surrogate pair
        expect(s.hasAttachments).toBe(false);
      }
    }
    const withAttachment = await sum(generateMessage(99, 200_000, { attachment: true }));
    expect(withAttachment.hasAttachments).toBe(true);
    expect(withAttachment.snippet).toMatch(/^Hello /);
  });
});

describe('summarize: bodies and snippets', () => {
  it('decodes iso-8859-1 (quoted-printable and 8-bit) and windows-1252 bodies', async () => {
    const qp = await sum(eml('Subject: qp\nContent-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\nCaf=E9 cr=E8me br=FBl=E9e, tr=\nop bon.\n'));
    expect(qp.snippet).toBe('Café crème brûlée, trop bon.');
    const eight = await sum(eml('Subject: 8bit\nContent-Type: text/plain; charset="ISO-8859-1"\nContent-Transfer-Encoding: 8bit\n\nGr\xfc\xdfe aus K\xf6ln\n'));
    expect(eight.snippet).toBe('Grüße aus Köln');
    const cp1252 = await sum(eml('Subject: 1252\nContent-Type: text/plain; charset=windows-1252\nContent-Transfer-Encoding: 8bit\n\n\x93Quoted\x94 \x96 costs \x80100\x85\n'));
    expect(cp1252.snippet).toBe('“Quoted” – costs €100…');
    const utf8 = await sum(Buffer.from('Subject: utf8\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nこんにちは 世界\r\n', 'utf8'));
    expect(utf8.snippet).toBe('こんにちは 世界');
  });

  it('collapses whitespace and cuts the snippet at 200 characters without splitting a surrogate pair', async () => {
    const text = `  Line one\n\n\n\tline   two\n${'😀'.repeat(300)}\n`;
    const s = await sum(Buffer.from(`Subject: s\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${text}`, 'utf8'));
    expect(s.snippet.startsWith('Line one line two 😀')).toBe(true);
    expect(s.snippet.length).toBeLessThanOrEqual(200);
    expect(s.snippet).not.toMatch(/[\ud800-\udbff]$/);
  });

  it('makes the snippet of an HTML-only message from its text: no tags, no entities, no style or script', async () => {
    const s = await sum(
      eml(`Subject: html
Content-Type: text/html; charset=utf-8

<!DOCTYPE html><html><head><title>Newsletter title</title>
<style type="text/css">.x { color: red; } p > a { font-weight: bold }</style></head>
<body><div style="display:none">&zwnj;&nbsp;&zwnj;</div><!-- a comment <p>hidden</p> -->
<p>Hello&nbsp;<b>Wor</b>ld &amp; friends&hellip; 5 &lt; 6 &#8364;&#x20AC; AT&T &bogus;</p>
<script>document.write('<p>no</p>')</script><table><tr><td>Cell one</td><td>Cell two</td></tr></table>
</body></html>
`),
    );
    expect(s.snippet).toBe('Hello World & friends… 5 < 6 €€ AT&T Cell one Cell two');
  });

  it("skips a newsletter's <noscript> in the snippet, as the reading pane does, even with an unclosed <p> in it", async () => {
    const s = await sum(eml('Subject: news\nContent-Type: text/html\n\n<noscript><p>Images not showing? View online</noscript><h1>Headline</h1><p>First article</p>\n'));
    expect(s.snippet).toBe('Headline First article');
  });

  it('takes the HTML part of a multipart message that has no plain text', async () => {
    const s = await sum(
      eml(`Subject: html in mixed
Content-Type: multipart/mixed; boundary="b1"

--b1
Content-Type: text/html; charset=iso-8859-1
Content-Transfer-Encoding: quoted-printable

<p>Ol=E1 <i>mundo</i></p>
--b1
Content-Type: application/pdf; name="a.pdf"
Content-Transfer-Encoding: base64

JVBERi0xLjQK
--b1--
`),
    );
    expect(s.snippet).toBe('Olá mundo');
    expect(s.hasAttachments).toBe(true);
  });

  it('prefers the plain part of multipart/alternative', async () => {
    const s = await sum(
      eml(`Subject: alt
Content-Type: multipart/alternative; boundary=alt

--alt
Content-Type: text/plain; charset=utf-8

The plain version.
--alt
Content-Type: text/html; charset=utf-8

<p>The <b>HTML</b> version.</p>
--alt--
`),
    );
    expect(s.snippet).toBe('The plain version.');
    expect(s.hasAttachments).toBe(false);
  });

  it('does not count images embedded with cid in multipart/related as attachments', async () => {
    const related = `Content-Type: multipart/related; boundary=rel

--rel
Content-Type: text/html; charset=utf-8

<p>Logo: <img src="cid:logo@example.com"></p>
--rel
Content-Type: image/png
Content-ID: <logo@example.com>
Content-Transfer-Encoding: base64

${base64Lines(noise(300))}--rel--
`;
    const inlineOnly = await sum(eml(`Subject: related\n${related}`));
    expect(inlineOnly.hasAttachments).toBe(false);
    expect(inlineOnly.snippet).toBe('Logo:');
    const withFile = await sum(
      eml(`Subject: related and a file
Content-Type: multipart/mixed; boundary=mix

--mix
${related}
--mix
Content-Type: application/zip
Content-Disposition: attachment; filename="a.zip"
Content-Transfer-Encoding: base64

${base64Lines(noise(100))}--mix--
`),
    );
    expect(withFile.hasAttachments).toBe(true);
  });

  it('handles messages without a body, without headers, and empty ones', async () => {
    const headersOnly = await sum(eml('From: a@example.com\nSubject: nothing else'));
    expect(headersOnly).toMatchObject({ subject: 'nothing else', snippet: '', hasAttachments: false });
    expect((await sum(eml('Subject: empty body\n\n'))).snippet).toBe('');
    const noHeaders = await sum(eml('\nJust a body.\n'));
    expect(noHeaders).toMatchObject({ subject: '', from: [], snippet: 'Just a body.' });
    expect(await sum(Buffer.alloc(0))).toMatchObject({ subject: '', size: 0, snippet: '', messageId: null });
  });

  it('reads a message that is one PDF and nothing else', async () => {
    const s = await sum(eml(`Subject: scan\nContent-Type: application/pdf\nContent-Transfer-Encoding: base64\n\n${base64Lines(noise(5000))}`));
    expect(s).toMatchObject({ subject: 'scan', hasAttachments: true, snippet: '' });
  });
});

describe('summarize: broken MIME never throws', () => {
  it('survives a missing closing boundary', async () => {
    const s = await sum(
      eml(`Subject: cut short
Content-Type: multipart/mixed; boundary=cut

--cut
Content-Type: text/plain

Text before the cut.
--cut
Content-Type: application/octet-stream
Content-Disposition: attachment; filename=x.bin
Content-Transfer-Encoding: base64

AAAAAAAA
AAAA`),
    );
    expect(s).toMatchObject({ subject: 'cut short', snippet: 'Text before the cut.', hasAttachments: true });
  });

  it('survives garbage base64 in text and attachment parts', async () => {
    const s = await sum(
      eml(`Subject: garbage
Content-Type: multipart/mixed; boundary=g

--g
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: base64

!!!! not base64 at all $$$ ~~~
--g
Content-Type: image/jpeg
Content-Transfer-Encoding: base64

%%%%****====
--g--
`),
    );
    expect(s.subject).toBe('garbage');
    expect(s.hasAttachments).toBe(true);
    noControls(s);
  });

  it('skips a header line without a colon and keeps the fields around it', async () => {
    const s = await sum(eml('From: Ann <ann@example.com>\nThis line is not a header\nSubject: still here\nTo: bob@example.com\n\nBody text.\n'));
    expect(s).toMatchObject({ subject: 'still here', snippet: 'Body text.' });
    expect(s.from).toEqual([{ name: 'Ann', address: 'ann@example.com' }]);
    expect(s.to).toEqual([{ name: '', address: 'bob@example.com' }]);
  });

  it('drops NUL bytes and other control characters everywhere', async () => {
    const s = await sum(eml('From: N\x00ul <nul@example.com>\nSubject: a\x00b\x07c\nContent-Type: text/plain\n\nbody\x00with\x00nuls\x1b[31m red\n'));
    expect(s.subject).toBe('abc');
    expect(s.snippet).toBe('bodywithnuls[31m red');
    noControls(s);
  });

  it('survives a multipart without a boundary, and a boundary that never appears', async () => {
    const noBoundary = await sum(eml('Subject: nb\nContent-Type: multipart/mixed\n\nSome text anyway.\n'));
    expect(noBoundary.subject).toBe('nb');
    const neverSeen = await sum(eml('Subject: ns\nContent-Type: multipart/mixed; boundary=zzz\n\nPreamble only.\n'));
    expect(neverSeen.subject).toBe('ns');
    expect(neverSeen.hasAttachments).toBe(false);
  });

  it('falls back to raw headers when mailparser gives up (header block over its limit)', async () => {
    const msg = eml(`From: Al <al@example.com>\nSubject: =?UTF-8?Q?caf=C3=A9?=\nDate: Mon, 01 Jan 2024 10:00:00 +0000\nX-Huge: ${'a'.repeat(1_200_000)}\n\nbody\n`);
    const s = await sum(msg);
    expect(s).toMatchObject({ subject: 'café', date: '2024-01-01T10:00:00.000Z', size: msg.length });
    expect(s.from).toEqual([{ name: 'Al', address: 'al@example.com' }]);
  });

  it('falls back to a raw snippet when mailparser gives up (too many parts)', async () => {
    let text = 'Subject: many parts\nContent-Type: multipart/mixed; boundary=Q\n\n--Q\nContent-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\nFirst part, caf=E9.\n';
    for (let i = 0; i < 1100; i++) text += `--Q\nContent-Type: application/octet-stream\nContent-Disposition: attachment; filename=p${i}.bin\n\n${i}\n`;
    const s = await sum(eml(`${text}--Q--\n`));
    expect(s).toMatchObject({ subject: 'many parts', snippet: 'First part, café.', hasAttachments: true });
  });

  it('never throws on mangled messages (property test)', async () => {
    const base = [...generateMessages({ seed: 3, count: 4, mix: 'small' }), generateMessage(5, 60_000, { attachment: true })];
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: base.length - 1 }),
        fc.array(fc.tuple(fc.nat(), fc.uint8Array({ minLength: 0, maxLength: 40 }), fc.nat({ max: 200 })), { maxLength: 6 }),
        async (which, edits) => {
          let msg = base[which] as Buffer;
          for (const [at, insert, del] of edits) {
            const pos = at % (msg.length + 1);
            msg = Buffer.concat([msg.subarray(0, pos), Buffer.from(insert), msg.subarray(pos + del)]);
          }
          const s = await sum(msg);
          noControls(s);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('never throws on random bytes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 4000 }), async (bytes) => {
        noControls(await sum(Buffer.from(bytes)));
      }),
      { numRuns: 150 },
    );
  });

  it('throws a typed not-found error for a missing file (that is not broken MIME)', async () => {
    await expect(summarize(path.join(dir, 'missing.eml'))).rejects.toMatchObject({ code: 'not-found' });
  });
});
