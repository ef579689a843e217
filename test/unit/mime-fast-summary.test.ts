/**
 * The fast summary path against the mailparser path it stands in for: wherever the fast path
 * answers, the answer must be the mailparser path's, field for field. Messages come from the
 * MIME tests' own corpora, the realistic generator, hand-made edge cases, random MIME trees and
 * random damage. How often the fast path hands over is logged; on generated mail it should not.
 */
import fc from 'fast-check';
import fs from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { summarize, summarizeFast, summarizeWithMailparser } from '../../electron/core/mime/summary.js';
import { generateMessage, generateMessages, mulberry32, toCrlf, type Rng } from '../support/mailgen.js';
import { base64Lines, eml, messageFolder, noise, writeBigAttachmentMessage } from '../support/mime.js';

const folder = messageFolder('popbox-mime-fast-');
const store = folder.store;

interface Tally {
  fast: number;
  fallback: number;
}

/** Both paths on one source; the fast one must agree wherever it answers. */
async function agree(source: Buffer | string, label: string, tally?: Tally): Promise<boolean> {
  const reference = await summarizeWithMailparser(source);
  const fast = await summarizeFast(source);
  if (fast !== null) expect(fast, label).toStrictEqual(reference);
  if (tally) tally[fast === null ? 'fallback' : 'fast']++;
  return fast !== null;
}

/** As a Buffer and as a stored file (the file path reads through a moving window). */
async function agreeBoth(message: Buffer, label: string, tally?: Tally): Promise<boolean> {
  const file = await store(message);
  const a = await agree(message, `${label} (buffer)`, tally);
  const b = await agree(file, `${label} (file)`, tally);
  await fs.rm(file);
  expect(a, `${label}: the fast path should not depend on the source kind`).toBe(b);
  return a;
}

function rate(t: Tally): string {
  const total = t.fast + t.fallback;
  return `${t.fallback}/${total} fell back (${((100 * t.fallback) / Math.max(1, total)).toFixed(2)}%)`;
}

// ---------------------------------------------------------------------------------------------
// The messages of mime-summary.test.ts and mime-body.test.ts

function existingCorpus(): [string, Buffer][] {
  const koi8 = Buffer.from([0xf0, 0xd2, 0xc9, 0xd7, 0xc5, 0xd4]).toString('base64');
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
  let manyParts = 'Subject: many parts\nContent-Type: multipart/mixed; boundary=Q\n\n--Q\nContent-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\nFirst part, caf=E9.\n';
  for (let i = 0; i < 1100; i++) manyParts += `--Q\nContent-Type: application/octet-stream\nContent-Disposition: attachment; filename=p${i}.bin\n\n${i}\n`;
  let manyText = 'Subject: many parts\nContent-Type: multipart/mixed; boundary=Q\n\n--Q\nContent-Type: text/plain\n\nFirst part.\n';
  for (let i = 0; i < 1100; i++) manyText += `--Q\nContent-Type: text/plain\n\npart ${i}\n`;
  const rich = `From: Ann <ann@example.com>
Subject: Quarterly report
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="outer"

--outer
Content-Type: multipart/related; boundary="rel"

--rel
Content-Type: multipart/alternative; boundary="alt"

--alt
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

Hello, the report is attached. Gr=C3=BC=C3=9Fe
--alt
Content-Type: text/html; charset=utf-8

<p onclick="steal()">Hello, <img src="cid:logo.123@example.com"> the report</p><script>alert(1)</script>
--alt--
--rel
Content-Type: image/png; name="logo.png"
Content-ID: <logo.123@example.com>
Content-Disposition: inline; filename="logo.png"
Content-Transfer-Encoding: base64

${base64Lines(noise(2_000, 11))}--rel--
--outer
Content-Type: application/pdf
Content-Disposition: attachment;
 filename*0*=iso-8859-15''R%E9sum%E9%20;
 filename*1*=%A4.pdf
Content-Transfer-Encoding: base64

${base64Lines(noise(150_000, 12))}
--outer
Content-Type: text/plain; charset=utf-8; name="=?UTF-8?Q?Notizen_f=C3=BCr_dich.txt?="
Content-Disposition: attachment; filename*=UTF-8''Notizen%20f%C3%BCr%20dich.txt
Content-Transfer-Encoding: quoted-printable

Zeile eins
Zeile zwei: Gr=C3=BC=C3=9Fe
--outer--
`;
  const longText = 'ä€😀 '.repeat(2_000);
  const payload = noise(5_000, 21);
  let trouble = `Subject: then too many parts\nContent-Type: multipart/mixed; boundary=Q\n\n--Q\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n${base64Lines(payload)}`;
  trouble += `--Q\nContent-Type: text/plain\n\n${'filler line of text\n'.repeat(200_000)}`;
  for (let i = 0; i < 1100; i++) trouble += `--Q\nContent-Type: text/plain\n\npart ${i}\n`;
  trouble += `--Q\nContent-Type: application/pdf\nContent-Transfer-Encoding: base64\n\nJVBERi0K\n--Q--\n`;

  return [
    [
      'encoded words in several charsets',
      eml(`From: =?ISO-8859-2?Q?=A3ukasz_=AF=F3=B3=E6?= <lukasz@example.org>
To: =?UTF-8?B?SsO8cmdlbiBNw7xsbGVy?= <jm@example.de>, =?KOI8-R?B?${koi8}?= <anna@example.ru>
Cc: "Plain, Name" <plain@example.com>, =?windows-1252?Q?Ren=E9e_=93R=94?= <renee@example.fr>
Subject: =?ISO-8859-1?Q?Caf=E9?= =?UTF-8?B?4oKs?= and =?windows-1252?Q?=93quoted=94?= =?UTF-8?Q?=C3?=
 =?UTF-8?Q?=A4?=
Date: Tue, 1 Jul 2003 10:52:37 +0200

Hi
`),
    ],
    ['raw UTF-8 and Latin-1 headers', Buffer.concat([Buffer.from('Subject: Grüße aus Köln\r\nFrom: ', 'utf8'), Buffer.from('Andr\xe9 <a@example.com>\r\n\r\nx\r\n', 'latin1')])],
    ['threading headers', eml('Message-ID: <child@example.com>\nIn-Reply-To: <parent@example.com> (sent by Bob)\nReferences: <root@example.com>\n <mid@example.com>\n\t<parent@example.com>\nSubject: Re: thread\n\nx\n')],
    ['no date', eml('Subject: no date\n\nx\n')],
    ['bad date', eml('Subject: bad date\nDate: the day after tomorrow\n\nx\n')],
    ['date with comment', eml('Date: Mon, 01 Jan 2024 10:00:00 -0500 (EST)\n\nx\n')],
    ['date without weekday', eml('Date: 5 Feb 2024 23:30 +0100\n\nx\n')],
    ['size', eml('Subject: size\n\nHello\n')],
    ['qp latin-1', eml('Subject: qp\nContent-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\nCaf=E9 cr=E8me br=FBl=E9e, tr=\nop bon.\n')],
    ['8bit latin-1', eml('Subject: 8bit\nContent-Type: text/plain; charset="ISO-8859-1"\nContent-Transfer-Encoding: 8bit\n\nGr\xfc\xdfe aus K\xf6ln\n')],
    ['windows-1252', eml('Subject: 1252\nContent-Type: text/plain; charset=windows-1252\nContent-Transfer-Encoding: 8bit\n\n\x93Quoted\x94 \x96 costs \x80100\x85\n')],
    ['utf-8 8bit', Buffer.from('Subject: utf8\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nこんにちは 世界\r\n', 'utf8')],
    ['whitespace and surrogates', Buffer.from(`Subject: s\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n  Line one\n\n\n\tline   two\n${'😀'.repeat(300)}\n`, 'utf8')],
    [
      'html only',
      eml(`Subject: html
Content-Type: text/html; charset=utf-8

<!DOCTYPE html><html><head><title>Newsletter title</title>
<style type="text/css">.x { color: red; } p > a { font-weight: bold }</style></head>
<body><div style="display:none">&zwnj;&nbsp;&zwnj;</div><!-- a comment <p>hidden</p> -->
<p>Hello&nbsp;<b>Wor</b>ld &amp; friends&hellip; 5 &lt; 6 &#8364;&#x20AC; AT&T &bogus;</p>
<script>document.write('<p>no</p>')</script><table><tr><td>Cell one</td><td>Cell two</td></tr></table>
</body></html>
`),
    ],
    ['html in mixed', eml('Subject: html in mixed\nContent-Type: multipart/mixed; boundary="b1"\n\n--b1\nContent-Type: text/html; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\n<p>Ol=E1 <i>mundo</i></p>\n--b1\nContent-Type: application/pdf; name="a.pdf"\nContent-Transfer-Encoding: base64\n\nJVBERi0xLjQK\n--b1--\n')],
    ['alternative', eml('Subject: alt\nContent-Type: multipart/alternative; boundary=alt\n\n--alt\nContent-Type: text/plain; charset=utf-8\n\nThe plain version.\n--alt\nContent-Type: text/html; charset=utf-8\n\n<p>The <b>HTML</b> version.</p>\n--alt--\n')],
    ['related only', eml(`Subject: related\n${related}`)],
    ['related and a file', eml(`Subject: related and a file\nContent-Type: multipart/mixed; boundary=mix\n\n--mix\n${related}\n--mix\nContent-Type: application/zip\nContent-Disposition: attachment; filename="a.zip"\nContent-Transfer-Encoding: base64\n\n${base64Lines(noise(100))}--mix--\n`)],
    ['headers only', eml('From: a@example.com\nSubject: nothing else')],
    ['empty body', eml('Subject: empty body\n\n')],
    ['no headers', eml('\nJust a body.\n')],
    ['empty message', Buffer.alloc(0)],
    ['only a pdf', eml(`Subject: scan\nContent-Type: application/pdf\nContent-Transfer-Encoding: base64\n\n${base64Lines(noise(5000))}`)],
    ['missing closing boundary', eml('Subject: cut short\nContent-Type: multipart/mixed; boundary=cut\n\n--cut\nContent-Type: text/plain\n\nText before the cut.\n--cut\nContent-Type: application/octet-stream\nContent-Disposition: attachment; filename=x.bin\nContent-Transfer-Encoding: base64\n\nAAAAAAAA\nAAAA')],
    ['garbage base64', eml('Subject: garbage\nContent-Type: multipart/mixed; boundary=g\n\n--g\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n!!!! not base64 at all $$$ ~~~\n--g\nContent-Type: image/jpeg\nContent-Transfer-Encoding: base64\n\n%%%%****====\n--g--\n')],
    ['line without colon', eml('From: Ann <ann@example.com>\nThis line is not a header\nSubject: still here\nTo: bob@example.com\n\nBody text.\n')],
    ['NULs and controls', eml('From: N\x00ul <nul@example.com>\nSubject: a\x00b\x07c\nContent-Type: text/plain\n\nbody\x00with\x00nuls\x1b[31m red\n')],
    ['multipart without boundary', eml('Subject: nb\nContent-Type: multipart/mixed\n\nSome text anyway.\n')],
    ['boundary never seen', eml('Subject: ns\nContent-Type: multipart/mixed; boundary=zzz\n\nPreamble only.\n')],
    ['huge header', eml(`From: Al <al@example.com>\nSubject: =?UTF-8?Q?caf=C3=A9?=\nDate: Mon, 01 Jan 2024 10:00:00 +0000\nX-Huge: ${'a'.repeat(1_200_000)}\n\nbody\n`)],
    ['too many attachment parts', eml(`${manyParts}--Q--\n`)],
    ['too many text parts', eml(`${manyText}--Q--\n`)],
    ['rich (mime-body)', eml(rich)],
    ['html only (mime-body)', eml('Subject: h\nContent-Type: text/html; charset=utf-8\n\n<p>Only HTML</p>\n')],
    ['latin-1 plain (mime-body)', eml('Subject: p\nContent-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: 8bit\n\nCaf\xe9\n')],
    ['nothing (mime-body)', eml('Subject: nothing')],
    [
      'long alternative (mime-body)',
      Buffer.from(
        `Subject: long\r\nContent-Type: multipart/alternative; boundary=a\r\n\r\n--a\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${longText}\r\n` +
          `--a\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>${longText}</p>\r\n--a--\r\n`,
        'utf8',
      ),
    ],
    ['short (mime-body)', eml('Subject: s\n\nshort\n')],
    ['broken (mime-body)', eml('Subject: broken\nContent-Type: multipart/mixed; boundary=x\n\n--x\nContent-Type: text/plain\n\nReadable part.\n--x\nContent-Type: application/octet-stream\nContent-Disposition: attachment; filename="junk.bin"\nContent-Transfer-Encoding: base64\n\n@@@@ this is not base64 $$$$\nQUJD')],
    ['attachment before trouble (mime-body)', eml(trouble)],
    ['one big base64 part (mime-body)', eml(`Subject: big\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n${base64Lines(noise(3_000_000, 5))}`)],
    ['generated with attachment', generateMessage(99, 200_000, { attachment: true })],
    ['generated 300 KB (mime-body)', generateMessage(4242, 300_000, { attachment: true })],
  ];
}

// ---------------------------------------------------------------------------------------------
// Edge cases the fast path has to get right or hand over

const PDF = `Content-Type: application/pdf; name="a.pdf"\nContent-Disposition: attachment; filename="a.pdf"\nContent-Transfer-Encoding: base64\n\n${base64Lines(noise(600, 3))}`;
const LOREM =
  'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat.';

function mixed(parts: string[], opts: { boundary?: string; close?: boolean; preamble?: string; epilogue?: string } = {}): string {
  const b = opts.boundary ?? 'mix';
  let s = `Content-Type: multipart/mixed; boundary="${b}"\n\n${opts.preamble ?? ''}`;
  for (const p of parts) s += `--${b}\n${p}\n`;
  if (opts.close !== false) s += `--${b}--\n${opts.epilogue ?? ''}`;
  return s;
}

/** Text, a real attachment, `filler` bytes of another, then more parts than mailparser takes. */
function afterFiller(filler: number): string {
  const parts = [`Content-Type: text/plain\n\n${LOREM}`, PDF, `Content-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n${base64Lines(noise(Math.floor((filler * 3) / 4), 8))}`];
  for (let i = 0; i < 1100; i++) parts.push(`Content-Type: application/octet-stream\n\n${i}`);
  return mixed(parts);
}

function edgeCases(): [string, Buffer][] {
  const head = 'From: Ann <ann@example.com>\nTo: Bob <bob@example.org>\nSubject: edge\nDate: Mon, 01 Jan 2024 10:00:00 +0000\nMessage-ID: <edge@example.com>\nMIME-Version: 1.0\n';
  const m = (body: string): Buffer => eml(head + body);
  const plain = (text: string, extra = ''): string => `Content-Type: text/plain; charset=utf-8${extra}\n\n${text}`;
  const html = (markup: string): string => `Content-Type: text/html; charset=utf-8\n\n${markup}`;
  const alt = (a: string, b: string, boundary = 'alt'): string => `Content-Type: multipart/alternative; boundary=${boundary}\n\n--${boundary}\n${a}\n--${boundary}\n${b}\n--${boundary}--`;
  const image = (cid: string | null, disposition: string | null): string =>
    `Content-Type: image/png\n${cid === null ? '' : `Content-ID: ${cid}\n`}${disposition === null ? '' : `Content-Disposition: ${disposition}\n`}Content-Transfer-Encoding: base64\n\n${base64Lines(noise(200, 9))}`;
  const utf8 = (s: string): Buffer => toCrlf(Buffer.from(head + s, 'utf8'));
  const big = 'Long text. '.repeat(9000); // ~100 KB, over the plain budget
  return [
    ['short plain then pdf', m(mixed([plain('See attached.'), PDF]))],
    ['long plain then pdf', m(mixed([plain(LOREM), PDF]))],
    ['short plain, pdf, footer', m(mixed([plain('See attached.'), PDF, plain('-- \nMailing list footer: unsubscribe at example.org')]))],
    ['long plain, pdf, footer', m(mixed([plain(LOREM), PDF, plain('Footer')]))],
    ['pdf first, then text', m(mixed([PDF, plain('Text after the attachment.')]))],
    ['pdf first, text, text', m(mixed([PDF, plain('First text.'), plain('Second text.')]))],
    ['pdf, pdf, text', m(mixed([PDF, PDF, plain(LOREM)]))],
    ['empty plain and html in alternative', m(alt(plain(''), html('<p>Only the HTML says something.</p>')))],
    ['whitespace plain and html in mixed', m(mixed([plain('   \n\n  '), html('<p>HTML after blank text</p>')]))],
    ['whitespace plain, html, pdf', m(mixed([plain(' \n'), html('<b>html</b> text'), PDF]))],
    ['two plain parts', m(mixed([plain('Part one.'), plain('Part two.')]))],
    ['plain as attachment', m(mixed([plain('Body.'), 'Content-Type: text/plain; name="notes.txt"\nContent-Disposition: attachment; filename="notes.txt"\n\nNotes'])) ],
    ['plain with a filename, inline', m(mixed([plain('Body.'), 'Content-Type: text/plain; name="notes.txt"\n\nNotes, inline'])) ],
    ['calendar invite', m(alt(plain('Invitation'), 'Content-Type: text/calendar; method=REQUEST; charset=utf-8\n\nBEGIN:VCALENDAR\nEND:VCALENDAR'))],
    ['cid image in mixed, inline', m(mixed([plain('Look'), image('<img1@x>', 'inline')]))],
    ['cid image in mixed, attachment', m(mixed([plain('Look'), image('<img1@x>', 'attachment; filename=a.png')]))],
    ['cid image in mixed, no disposition', m(mixed([plain('Look'), image('<img1@x>', null)]))],
    ['cid image in related, attachment', m(`Content-Type: multipart/related; boundary=r\n\n--r\n${html('<img src="cid:i@x">')}\n--r\n${image('<i@x>', 'attachment')}\n--r--\n`)],
    ['empty cid', m(mixed([plain('Look'), image('<>', 'inline')]))],
    ['blank cid', m(mixed([plain('Look'), image('< >', null)]))],
    ['image without cid in related', m(`Content-Type: multipart/related; boundary=r\n\n--r\n${html('<p>hi</p>')}\n--r\n${image(null, null)}\n--r--\n`)],
    ['disposition typo', m(mixed([plain('Body'), 'Content-Type: application/zip\nContent-ID: <z@x>\nContent-Disposition: attachement; filename=z.zip\n\nzip']))],
    ['unknown disposition on text', m(mixed([plain('Body'), 'Content-Type: text/plain\nContent-Disposition: x-weird\n\nweird']))],
    ['no content type, pdf filename', m(mixed([plain('Body'), 'Content-Disposition: attachment; filename="scan.pdf"\nContent-Transfer-Encoding: base64\n\nJVBERi0K']))],
    ['no content type, inline filename', m(mixed([plain('Body'), 'Content-Disposition: inline; filename="notes.txt"\n\nnotes']))],
    ['no content type, attachment', m(mixed([plain('Body'), 'Content-Disposition: attachment\n\nbytes']))],
    ['empty part header', m(mixed(['\nText of a part without any header.', PDF]))],
    ['part header without a blank line', m(mixed(['Content-Type: text/plain', PDF]))],
    ['preamble and epilogue', m(mixed([plain(LOREM), PDF], { preamble: 'This is a multi-part message in MIME format.\n', epilogue: 'Epilogue text\n--mix\nnot a part\n' }))],
    ['closing delimiter in the preamble', m(mixed([plain('Body'), PDF], { preamble: '--mix--\n' }))],
    ['no closing delimiter', m(mixed([plain(LOREM), PDF], { close: false }))],
    ['delimiter with trailing space', m(`Content-Type: multipart/mixed; boundary=b\n\n--b   \n${plain('Body text')}\n--b\t\n${PDF}\n--b-- \n`)],
    ['delimiter lookalikes', m(`Content-Type: multipart/mixed; boundary=b\n\n--b\n${plain('Text\n--bx\n --b\n--b-x\ntext --b\n')}\n--b--\n`)],
    ['boundary with comment', m(`Content-Type: multipart/mixed; boundary=b (comment)\n\n--b\n${plain('Body')}\n--b\n${PDF}\n--b--\n`)],
    ['quoted boundary with spaces', m(`Content-Type: multipart/mixed; boundary="a b=c?d"\n\n--a b=c?d\n${plain('Body')}\n--a b=c?d\n${PDF}\n--a b=c?d--\n`)],
    ['folded content type', m(`Content-Type: multipart/mixed;\n\tboundary="folded"\n\n--folded\n${plain('Body')}\n--folded--\n`)],
    ['uppercase everything', m(`CONTENT-TYPE: MULTIPART/MIXED; BOUNDARY=UP\n\n--UP\nCONTENT-TYPE: TEXT/PLAIN; CHARSET=ISO-8859-1\nCONTENT-TRANSFER-ENCODING: QUOTED-PRINTABLE\n\nGr=FC=DFe\n--UP--\n`)],
    ['outer delimiter closes inner', m(`Content-Type: multipart/mixed; boundary=o\n\n--o\n${alt(plain('inner plain'), html('<p>inner</p>'), 'i').replace(/--i--$/, '')}\n--o\n${PDF}\n--o--\n`)],
    ['nested three deep', m(mixed([`Content-Type: multipart/related; boundary=r\n\n--r\n${alt(plain(LOREM), html(`<p>${LOREM}</p>`))}\n--r\n${image('<c@x>', 'inline')}\n--r--`, PDF]))],
    ['reused boundary', m(`Content-Type: multipart/mixed; boundary=same\n\n--same\nContent-Type: multipart/alternative; boundary=same\n\n--same\n${plain('x')}\n--same--\n--same--\n`)],
    ['boundary on a leaf', m(`Content-Type: text/plain; boundary=x\n\nText\n--x\nContent-Type: text/html\n\n<p>html</p>\n`)],
    ['message/rfc822 attachment', m(mixed([plain('Forwarded below'), `Content-Type: message/rfc822\nContent-Disposition: attachment\n\nSubject: inner\nContent-Type: multipart/mixed; boundary=inner\n\n--inner\n${plain('inner text')}\n--inner--`]))],
    ['message/rfc822 inline', m(mixed([plain('Forwarded below'), `Content-Type: message/rfc822\nContent-Disposition: inline\n\nSubject: inner\n\ninner body`]))],
    ['delivery status', m(`Content-Type: multipart/report; report-type=delivery-status; boundary=r\n\n--r\n${plain('Delivery failed')}\n--r\nContent-Type: message/delivery-status\n\nStatus: 5.0.0\n--r--\n`)],
    ['tnef', m(mixed([plain('winmail'), 'Content-Type: application/ms-tnef\nContent-Transfer-Encoding: base64\n\neJ8+IhA=']))],
    ['uuencode transfer encoding', m(mixed(['Content-Type: text/plain\nContent-Transfer-Encoding: x-uuencode\n\nbegin 644 a.txt\nend', PDF]))],
    ['flowed', m(plain('This is a long line that was \nsoft broken by the sender and \ncontinues here.\n> quoted and \n> flowed\n-- \nsig', '; format=flowed'))],
    // Found by the damage property test: mailsplit reads format=flowed only where text/plain is declared.
    ['flowed with an empty type', m('Content-Type:; text/plain; charset=utf-8; format=flowed\n\n> quoted and \n> flowed\n')],
    ['flowed delsp', m(plain('Wrap ped word s in here \nand more.\n', '; format=flowed; delsp=yes'))],
    ['qp soft breaks and trailing space', m(`Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\nA line with trailing spaces   \nsoft=\nbreak =C3=A9t=C3=A9 =3D equals =ZZ bad escape=\n`)],
    ['qp at the end without newline', m(`Content-Type: text/plain\nContent-Transfer-Encoding: quoted-printable\n\nends with =`)],
    ['base64 text', m(`Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n${base64Lines(Buffer.from(`Grüße! ${LOREM}`, 'utf8'))}`)],
    ['base64 text, padded lines', m(`Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\nSGVsbG8=\nV29ybGQ=\n`)],
    ['base64 text in one line', m(`Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n${Buffer.from(LOREM.repeat(40)).toString('base64')}`)],
    ['quoted base64 encoding', m(`Content-Type: text/plain\nContent-Transfer-Encoding: "base64"\n\nSGVsbG8=\n`)],
    ['transfer encoding with comment', m(`Content-Type: text/plain\nContent-Transfer-Encoding: 7bit (plain)\n\nHello\n`)],
    ['us-ascii with 8-bit bytes', m(`Content-Type: text/plain; charset=us-ascii\n\nCaf\xe9 \xc3\xa9\n`)],
    ['no charset with 8-bit bytes', m(`Content-Type: text/plain\n\nCaf\xe9 \xc3\xa9\n`)],
    ['unknown charset', m(`Content-Type: text/plain; charset=x-unknown-charset\n\nCaf\xe9\n`)],
    ['utf-7', m(`Content-Type: text/plain; charset=utf-7\n\nHi +ADw-script+AD4-\n`)],
    ['koi8-r', m(`Content-Type: text/plain; charset=koi8-r\nContent-Transfer-Encoding: 8bit\n\n\xf0\xd2\xc9\xd7\xc5\xd4 ${'\xf0\xd2\xc9\xd7\xc5\xd4 '.repeat(60)}\n`)],
    ['iso-8859-1 C1 bytes', m(`Content-Type: text/plain; charset=iso-8859-1\n\n\x80\x85\x93\x94 ${'caf\xe9 '.repeat(100)}\n`)],
    ['gbk', eml(`${head}Content-Type: text/plain; charset=gbk\nContent-Transfer-Encoding: base64\n\n${base64Lines(Buffer.from('c4e3bac3a3accac0bde7', 'hex'))}`)],
    ['big5', eml(`${head}Content-Type: text/plain; charset=big5\nContent-Transfer-Encoding: base64\n\n${base64Lines(Buffer.from('a741a66e', 'hex'))}`)],
    ['shift_jis', eml(`${head}Content-Type: text/plain; charset=shift_jis\nContent-Transfer-Encoding: base64\n\n${base64Lines(Buffer.from('82b182f182c982bf82cd', 'hex'))}`)],
    ['iso-2022-jp', eml(`${head}Content-Type: text/plain; charset=iso-2022-jp\n\n\x1b$B$3$s$K$A$O\x1b(B world\n`)],
    ['utf-16', eml(`${head}Content-Type: text/plain; charset=utf-16\nContent-Transfer-Encoding: base64\n\n${base64Lines(Buffer.from('\ufeffHello UTF-16', 'utf16le'))}`)],
    ['plain over the budget', utf8(plain(big))],
    ['plain over the budget, base64', utf8(`Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n${base64Lines(Buffer.from(`   \n${' '.repeat(70_000)}Finally text ${LOREM}`, 'utf8'))}`)],
    ['whitespace over the budget then text', utf8(plain(`${' \n'.repeat(40_000)}late text`))],
    ['html with a huge style block', utf8(html(`<html><head><style>${'.c{color:red}\n'.repeat(20_000)}</style></head><body><p>${LOREM}</p></body></html>`))],
    ['html over its budget', utf8(html(`<p>${'word '.repeat(60_000)}</p>`))],
    ['two html parts', m(mixed([html('<p>first html'), html('<p>second html</p>')]))],
    ['html then plain in mixed', m(mixed([html('<p>html first</p>'), plain('plain second')]))],
    ['body that is one line ending', m(mixed(['Content-Type: text/plain\n\n', html('<p>x</p>')]))],
    ['mbox envelope line', eml(`From ann@example.com Mon Jan  1 10:00:00 2024\n${head}\nBody\n`)],
    ['header key with a space before the colon', eml(`Subject : spaced\nFrom: a@example.com\n\nBody\n`)],
    ['header starting with a fold', eml(` folded: first\nSubject: x\n\nBody\n`)],
    ['header line starting with dashes', m(mixed(['--weird: header\nContent-Type: text/plain\n\nbody', PDF]))],
    ['bare CR before a delimiter', m(`Content-Type: multipart/mixed; boundary=b\n\n--b\n${plain('Body')}\n\r--b\n${PDF}\n--b--\n`)],
    ['lone CRs in the text', m(plain('one\rtwo\r\rthree'))],
    ['LF only message', Buffer.from(`${head}${mixed([plain(LOREM), PDF])}`, 'latin1')],
    ['root rfc822', m(`Content-Type: message/rfc822\n\nSubject: inner\n\nInner body\n`)],
    ['root with empty content type', m(`Content-Type: \n\nBody with an empty type\n`)],
    ['part with empty content type', m(mixed([plain('Body'), 'Content-Type:\n\nwhat am I']))],
    ['weird content type', m(mixed([plain('Body'), 'Content-Type: application/x weird\n\nbytes']))],
    ['multipart/ alone', m(mixed([plain('Body'), 'Content-Type: multipart/\n\nbytes']))],
    ['encoded word in disposition', m(mixed([plain('Body'), 'Content-Type: application/pdf\nContent-Disposition: =?utf-8?q?attachment?=\n\nbytes']))],
    ['non-ascii boundary', m(`Content-Type: multipart/mixed; boundary="b\xe9"\n\n--b\xe9\n${plain('Body')}\n--b\xe9--\n`)],
    ['duplicate content type', m(`Content-Type: multipart/mixed; boundary=first\nContent-Type: text/plain\n\n--first\n${plain('In first')}\n--first--\n`)],
    ['trouble 1 MB after the attachment', m(afterFiller(1_000_000))],
    ['trouble 2.5 MB after the attachment', m(afterFiller(2_500_000))],
    ['trouble 3.5 MB after the attachment', m(afterFiller(3_500_000))],
    ['duplicate content-id', m(mixed([plain('Body'), `Content-Type: image/png\nContent-ID:\nContent-ID: <second@x>\n\npng`]))],
  ];
}

// ---------------------------------------------------------------------------------------------
// Random MIME trees

const rngFrom = mulberry32;

const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)] as T;
const WORDS = ['mail', 'report', 'Grüße', 'café', 'naïve', 'Привет', '日本語', 'the', 'and', 'budget', '€100', 'smörgåsbord', 'x', '--', 'a=b', '  ', '\t'];

function words(rng: Rng, count: number): string {
  const out: string[] = [];
  for (let i = 0; i < count; i++) out.push(pick(rng, WORDS) + (rng() < 0.08 ? '\n' : ''));
  return out.join(' ');
}

function qpEncode(bytes: Buffer, rng: Rng): string {
  let out = '';
  let line = 0;
  for (const b of bytes) {
    let t = b === 0x0a ? '\n' : b === 0x3d || b > 0x7e || (b < 0x20 && b !== 0x09) ? `=${b.toString(16).toUpperCase().padStart(2, '0')}` : String.fromCharCode(b);
    if (rng() < 0.02) t = t.toLowerCase();
    if (t !== '\n' && line + t.length > 75) {
      out += '=\n';
      line = 0;
    }
    out += t;
    line = t === '\n' ? 0 : line + t.length;
  }
  return out;
}

function encodeText(text: string, rng: Rng): { headers: string; body: Buffer } {
  const charset = pick(rng, ['utf-8', 'UTF-8', '"utf-8"', 'us-ascii', 'iso-8859-1', 'windows-1252', null, 'utf8']);
  const bytes =
    charset === null || /utf-?8/i.test(charset)
      ? Buffer.from(text, 'utf8')
      : Buffer.from(text.replace(/[^\x00-\xff]/g, '?'), 'latin1'); // eslint-disable-line no-control-regex
  const encoding = pick(rng, [null, '7bit', '8bit', 'quoted-printable', 'base64', 'binary']);
  let body: Buffer;
  if (encoding === 'base64') body = Buffer.from(rng() < 0.8 ? base64Lines(bytes) : bytes.toString('base64'), 'latin1');
  else if (encoding === 'quoted-printable') body = Buffer.from(qpEncode(bytes, rng), 'latin1');
  else body = bytes;
  const flowed = rng() < 0.1 ? `; format=flowed${rng() < 0.5 ? '; delsp=yes' : ''}` : '';
  let headers = '';
  headers += `Content-Type: TYPE${charset === null ? '' : `; charset=${charset}`}${flowed}\n`;
  if (encoding) headers += `Content-Transfer-Encoding: ${encoding}\n`;
  return { headers, body };
}

function randomLeaf(rng: Rng, size: () => number): Buffer {
  const r = rng();
  let head: string;
  let body: Buffer;
  if (r < 0.55) {
    const type = rng() < 0.65 ? 'text/plain' : 'text/html';
    const count = pick(rng, [0, 2, 10, 40, 120]);
    let text = words(rng, count);
    if (type === 'text/html') text = `<html><head><style>p{}</style></head><body><p>${text.replace(/&/g, '&amp;')}</p>${rng() < 0.2 ? '<img src="cid:c1@x">' : ''}</body></html>`;
    const enc = encodeText(text, rng);
    head = enc.headers.replace('TYPE', type);
    body = enc.body;
    if (rng() < 0.15) head += `Content-Disposition: ${pick(rng, ['inline', 'attachment', 'attachment; filename="t.txt"', 'inline; filename="t.txt"'])}\n`;
  } else {
    const type = pick(rng, ['application/pdf', 'image/png', 'image/jpeg', 'application/octet-stream', 'text/calendar', 'text/csv', 'message/rfc822', 'application/zip']);
    head = `Content-Type: ${type}${rng() < 0.5 ? '; name="f.bin"' : ''}\n`;
    const disposition = pick(rng, [null, 'attachment; filename="f.bin"', 'inline', 'attachment', 'attachement']);
    if (disposition) head += `Content-Disposition: ${disposition}\n`;
    if (rng() < 0.3) head += `Content-ID: ${pick(rng, ['<c1@x>', '<>', 'c2@x', '<c3@x>'])}\n`;
    head += 'Content-Transfer-Encoding: base64\n';
    body = Buffer.from(base64Lines(noise(size(), Math.floor(rng() * 1000) + 1)), 'latin1');
  }
  if (rng() < 0.05) head += 'X-Extra: a folded\n  header line\n';
  return Buffer.concat([Buffer.from(`${head}\n`, 'latin1'), body]);
}

function randomNode(rng: Rng, depth: number, size: () => number): Buffer {
  if (depth >= 3 || rng() < 0.45) return randomLeaf(rng, size);
  const sub = pick(rng, ['mixed', 'alternative', 'related', 'mixed']);
  const boundary = pick(rng, ['b1', '=_Part_0_12345.67890', 'simple boundary', '----=_NextPart_000_0012', `x${depth}y`]) + depth;
  const quoted = rng() < 0.6 || boundary.includes(' ') ? `"${boundary}"` : boundary;
  const parts: Buffer[] = [Buffer.from(`Content-Type: multipart/${sub};${rng() < 0.3 ? '\n\t' : ' '}boundary=${quoted}\n\n`, 'latin1')];
  if (rng() < 0.3) parts.push(Buffer.from('This is a multi-part message in MIME format.\n', 'latin1'));
  const count = 1 + Math.floor(rng() * 4);
  for (let i = 0; i < count; i++) {
    parts.push(Buffer.from(`--${boundary}${rng() < 0.05 ? '  ' : ''}\n`, 'latin1'), randomNode(rng, depth + 1, size), Buffer.from('\n', 'latin1'));
  }
  if (rng() < 0.9) parts.push(Buffer.from(`--${boundary}--\n`, 'latin1'));
  if (rng() < 0.2) parts.push(Buffer.from('epilogue\n', 'latin1'));
  return Buffer.concat(parts);
}

function randomMessage(seed: number): Buffer {
  const rng = rngFrom(seed);
  // Mostly small attachments; some sized so that parts straddle the first read (64 KB) and the
  // 1 MB blocks after it.
  const size = (): number => pick(rng, [50, 300, 2_000, 20_000, 45_000 + Math.floor(rng() * 30_000), 1_000_000 + Math.floor(rng() * 200_000)]);
  const head = `From: Rand <r${seed}@example.com>\nTo: x@example.org\nSubject: random ${seed}\nDate: Tue, 2 Jan 2024 03:04:05 +0000\nMIME-Version: 1.0\n`;
  const msg = Buffer.concat([Buffer.from(head, 'latin1'), randomNode(rng, 0, size)]);
  return rng() < 0.5 ? toCrlf(msg) : msg;
}

// ---------------------------------------------------------------------------------------------

describe('fast summaries equal mailparser summaries', () => {
  it('on the messages of the other MIME tests', async () => {
    const tally: Tally = { fast: 0, fallback: 0 };
    const fellBack: string[] = [];
    for (const [label, msg] of existingCorpus()) {
      if (!(await agreeBoth(msg, label, tally))) fellBack.push(label);
    }
    console.log(`existing MIME corpus: ${rate(tally)}: ${fellBack.join('; ')}`);
  }, 120_000);

  it('on the 100 MB attachment of the memory test', async () => {
    const file = folder.path('big.eml');
    await writeBigAttachmentMessage(file, 100 * 1024 * 1024);
    expect(await agree(file, '100 MB attachment')).toBe(true);
    await fs.rm(file);
  }, 120_000);

  it('on hand-made edge cases', async () => {
    const tally: Tally = { fast: 0, fallback: 0 };
    const fellBack: string[] = [];
    for (const [label, msg] of edgeCases()) {
      for (const [variant, bytes] of [
        ['', msg],
        [' (LF)', Buffer.from(msg.toString('latin1').replace(/\r\n/g, '\n'), 'latin1')],
      ] as const) {
        if (!(await agreeBoth(bytes, `${label}${variant}`, tally))) fellBack.push(`${label}${variant}`);
      }
    }
    console.log(`edge cases: ${rate(tally)}: ${fellBack.join('; ')}`);
  }, 120_000);

  it('on 1,000 generated small messages and 1,200 realistic ones (LF and CRLF, from files)', async () => {
    const small: Tally = { fast: 0, fallback: 0 };
    for (const seed of [11, 12, 13, 14, 15]) {
      for (const [i, lf] of generateMessages({ seed, count: 100, mix: 'small' }).entries()) {
        await agree(lf, `small ${seed}/${i}`, small);
        await agree(toCrlf(lf), `small ${seed}/${i} CRLF`, small);
      }
    }
    const realistic: Tally = { fast: 0, fallback: 0 };
    for (const seed of [21, 22, 23, 24, 25, 26]) {
      for (const [i, lf] of generateMessages({ seed, count: 100 }).entries()) {
        const crlf = toCrlf(lf);
        const file = await store(crlf);
        await agree(file, `realistic ${seed}/${i}`, realistic);
        await fs.rm(file);
        await agree(lf, `realistic ${seed}/${i} LF`, realistic);
      }
    }
    console.log(`generated small: ${rate(small)}; generated realistic: ${rate(realistic)}`);
    expect(small.fallback).toBe(0);
    expect(realistic.fallback).toBe(0);
  }, 600_000);

  it('on parts and delimiter lines that straddle the reads of a stored file', async () => {
    // The first read takes 1 MB; put the end of an attachment, a delimiter, a text part and the
    // closing delimiter across that boundary, a few bytes apart.
    const tally: Tally = { fast: 0, fallback: 0 };
    const text = `${LOREM}\n`.repeat(3);
    for (const shift of [-2000, -700, -120, -60, -30, -8, -3, -1, 0, 1, 2, 5, 40, 300]) {
      const head = 'From: a@example.com\nSubject: straddle\nContent-Type: multipart/mixed; boundary="=_b"\n\n--=_b\nContent-Type: application/zip\nContent-Transfer-Encoding: base64\n\n';
      const filler = 1024 * 1024 + shift - head.length - 8;
      const b64 = 'QUJD'.repeat(19);
      let body = '';
      while (body.length + 77 <= filler) body += `${b64}\n`;
      body += 'Q'.repeat(Math.max(0, filler - body.length));
      const msg = `${head}${body}\n--=_b\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n${text}\n--=_b--\n`;
      for (const bytes of [Buffer.from(msg, 'latin1'), eml(msg)]) await agreeBoth(bytes, `straddle ${shift}`, tally);
    }
    console.log(`straddling the first read: ${rate(tally)}`);
    expect(tally.fallback).toBe(0);
  }, 120_000);

  it('on random MIME trees', async () => {
    const tally: Tally = { fast: 0, fallback: 0 };
    for (let seed = 1; seed <= 300; seed++) await agreeBoth(randomMessage(seed), `random tree ${seed}`, tally);
    console.log(`random MIME trees: ${rate(tally)}`);
    expect(tally.fast).toBeGreaterThan(tally.fallback);
  }, 600_000);

  it('on damaged messages (property test)', async () => {
    const base = [
      ...generateMessages({ seed: 3, count: 3, mix: 'small' }),
      generateMessage(5, 60_000, { attachment: true }),
      ...edgeCases()
        .filter(([label]) => /then pdf|nested|alternative|flowed|qp soft|preamble/.test(label))
        .map(([, msg]) => msg),
    ];
    const tally: Tally = { fast: 0, fallback: 0 };
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: base.length - 1 }),
        fc.array(fc.tuple(fc.nat(), fc.constantFrom(...['\n', '\r\n', '--', '-', '=', ' ', '\r', ':', 'mix', 'alt', '\n\n', '"', ';', '<', '>', 'Content-Type: ', '\x00', '\xe9']), fc.nat({ max: 40 })), { maxLength: 6 }),
        async (which, edits) => {
          let msg = base[which] as Buffer;
          for (const [at, insert, del] of edits) {
            const pos = at % (msg.length + 1);
            msg = Buffer.concat([msg.subarray(0, pos), Buffer.from(insert, 'latin1'), msg.subarray(pos + del)]);
          }
          await agree(msg, `damaged ${which}: ${JSON.stringify(edits)}`, tally);
        },
      ),
      { numRuns: 400 },
    );
    console.log(`damaged messages: ${rate(tally)}`);
  }, 600_000);

  it('summarize() gives the fast answer, or the mailparser one', async () => {
    for (const [label, msg] of edgeCases().slice(0, 20)) {
      expect(await summarize(msg), label).toStrictEqual(await summarizeWithMailparser(msg));
    }
    await expect(summarizeFast(folder.path('missing.eml'))).resolves.toBeNull();
  });
});
