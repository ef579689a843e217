/**
 * What a parse worker (and a CLI sync) loads to summarize and index ordinary mail (issue 18: its
 * start cost ~0.5 s of CPU, most of it mailparser's MIME parser and zod, neither of which the fast
 * paths use). Run in a fresh process, with a resolve hook that writes down every mailparser
 * module loaded: ordinary mail must load none of mailparser's modules (nodemailer's address parser,
 * which mailparser's address-header module wraps, is taken on its own, without that module's `he`
 * and libmime), and a message the fast path hands to mailparser still gets it. Nor libmime (~100 ms
 * of a worker's start with iconv-lite and encoding-japanese): mime/header-value.ts reads ordinary
 * headers, and libmime loads for a message that needs it (here a charset iconv-lite decodes).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SNIPPET_MAX_CHARS as contractLimit } from '../../shared/messages.js';
import { SNIPPET_MAX_CHARS } from '../../electron/core/mime/text.js';
import { generateMessage } from '../support/mailgen.js';

const root = path.resolve(import.meta.dirname, '../..');
let dir: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'popbox-mime-lazy-'));
  // Runs in Node's loader thread: appends each mailparser, zod and libmime module resolved (ESM imports) to the log.
  fs.writeFileSync(
    path.join(dir, 'hook.mjs'),
    `import fs from 'node:fs';
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  if (/[/](?:mailparser|zod|libmime|iconv-lite|encoding-japanese)[/]/.test(r.url)) fs.appendFileSync(${JSON.stringify(path.join(dir, 'loaded.log'))}, r.url + '\\n');
  return r;
}
`,
  );
  const src = (f: string) => JSON.stringify(pathToFileURL(path.join(root, f)).href);
  fs.writeFileSync(
    path.join(dir, 'child.mts'),
    `import fs from 'node:fs';
import { createRequire, register } from 'node:module';
register(${JSON.stringify(pathToFileURL(path.join(dir, 'hook.mjs')).href)});
const { parseStored, ReadBuffer } = await import(${src('electron/core/ingest/parse-stored.ts')});
const { summarizeWithMailparser } = await import(${src('electron/core/mime/summary.ts')});
const log = ${JSON.stringify(path.join(dir, 'loaded.log'))};
const loaded = () => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : '') + Object.keys(createRequire(import.meta.url).cache).join('\\n');
const out: Record<string, unknown> = {};
out.parsed = await parseStored(process.argv[2], { blocking: new ReadBuffer() });
out.ordinary = loaded();
if (process.argv[3]) {
  out.unusual = await parseStored(process.argv[3], { blocking: new ReadBuffer() });
  out.afterUnusual = loaded();
}
out.slow = await summarizeWithMailparser(process.argv[2]);
out.after = loaded();
console.log(JSON.stringify(out));
`,
  );
});

afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('what summarizing ordinary mail loads', () => {
  it('keeps the snippet limit the contract checks (text.ts keeps its own copy so as not to load zod)', () => {
    expect(SNIPPET_MAX_CHARS).toBe(contractLimit);
  });

  it('summarizes and indexes a message with an attachment without loading mailparser or zod, and loads mailparser when a message needs it', () => {
    const file = path.join(dir, 'ordinary.eml');
    fs.writeFileSync(file, generateMessage(7, 120 * 1024, { attachment: true }));
    const run = spawnSync(process.execPath, ['--import', 'tsx', path.join(dir, 'child.mts'), file], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    expect(run.status, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout.trim().split('\n').pop()!) as { parsed: { summary: { from: { address: string }[]; hasAttachments: boolean; snippet: string }; text: { body: string } }; ordinary: string; slow: unknown; after: string };
    // The answer is a real one: addresses parsed (by nodemailer's address parser), text found.
    expect(out.parsed.summary.from[0]!.address).toMatch(/@/);
    expect(out.parsed.summary.hasAttachments).toBe(true);
    expect(out.parsed.summary.snippet.length).toBeGreaterThan(0);
    expect(out.parsed.text.body.length).toBeGreaterThan(0);
    expect(out.ordinary).toMatch(/mailparser\/node_modules\/nodemailer\/dist\/cjs\/addressparser/);
    expect(out.ordinary).not.toMatch(/address-header\.js|\/he\/he\.js|libmime\/dist\/cjs/);
    expect(out.ordinary).not.toMatch(/mail-parser\.js|mailparser\/dist\/esm\/index\.js|\/zod\//);
    // nor libmime, with iconv-lite and encoding-japanese behind it (mime/header-value.ts reads its headers)
    expect(out.ordinary).not.toMatch(/\/libmime\/|\/iconv-lite\/|\/encoding-japanese\//);
    // The slow path still works, and the hook would have seen mailparser load.
    expect(out.slow).toStrictEqual(out.parsed.summary);
    expect(out.after).toMatch(/mailparser\/dist\/esm\/(index|mail-parser)\.js/);
  }, 90_000);

  it('reads ordinary headers (encoded words, RFC 2231 file names) and flowed ISO-8859-15 text without libmime, and loads it for a charset it leaves to libmime', () => {
    const ordinary = path.join(dir, 'encoded.eml');
    fs.writeFileSync(
      ordinary,
      [
        'From: =?UTF-8?B?SsO8cmdlbg==?= <j@example.org>',
        'To: =?iso-8859-1?Q?Ren=E9?= <rene@example.org>',
        'Subject: =?utf-8?Q?Gr=C3=BC=C3=9Fe?= =?utf-8?B?IGF1cyBCZXJsaW4=?= =?iso-8859-2?Q?_=BF=F3=B3w?=',
        'MIME-Version: 1.0',
        'Content-Type: multipart/mixed; boundary="b (x)"',
        '',
        '--b (x)',
        'Content-Type: text/plain; charset=iso-8859-15; format=flowed',
        'Content-Transfer-Encoding: quoted-printable',
        '',
        'Caf=E9 au lait, =A4 2. ',
        'Flowed.',
        '--b (x)',
        'Content-Type: application/pdf',
        "Content-Disposition: attachment; filename*=utf-8''%E2%82%AC%20rates.pdf",
        'Content-Transfer-Encoding: base64',
        '',
        'JVBERi0=',
        '--b (x)--',
        '',
      ].join('\n'),
    );
    const unusual = path.join(dir, 'chinese.eml');
    fs.writeFileSync(unusual, Buffer.from('From: a@example.org\nSubject: =?gb2312?B?xOO6ww==?=\nContent-Type: text/plain; charset=big5\n\n\xa4\xa4\n', 'latin1'));
    fs.rmSync(path.join(dir, 'loaded.log'), { force: true }); // an earlier test's child wrote its own
    const run = spawnSync(process.execPath, ['--import', 'tsx', path.join(dir, 'child.mts'), ordinary, unusual], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    expect(run.status, run.stderr).toBe(0);
    type Parsed = { summary: { from: { name: string }[]; to: { name: string }[]; subject: string; snippet: string; hasAttachments: boolean }; text: { attachments?: unknown } };
    const out = JSON.parse(run.stdout.trim().split('\n').pop()!) as { parsed: Parsed; ordinary: string; unusual: Parsed; afterUnusual: string; slow: unknown };
    expect(out.parsed.summary.from[0]!.name).toBe('Jürgen');
    expect(out.parsed.summary.to[0]!.name).toBe('René');
    expect(out.parsed.summary.subject).toBe('Grüße aus Berlin żółw');
    expect(out.parsed.summary.snippet).toBe('Café au lait, € 2. Flowed.');
    expect(out.parsed.summary.hasAttachments).toBe(true);
    expect(JSON.stringify(out.parsed.text)).toContain('€ rates.pdf');
    expect(out.slow).toStrictEqual(out.parsed.summary);
    expect(out.ordinary).not.toMatch(/\/libmime\/|\/iconv-lite\/|\/encoding-japanese\//);
    // GB2312 and Big5 are iconv-lite's to decode: libmime loads, its CommonJS build (the copy mailsplit requires).
    expect(out.unusual.summary.subject).toBe('你好');
    expect(out.unusual.summary.snippet).toBe('中');
    expect(out.afterUnusual).toMatch(/libmime\/dist\/cjs\/libmime\.js/);
    expect(out.afterUnusual).toMatch(/\/iconv-lite\//);
    expect(out.afterUnusual).not.toMatch(/libmime\/dist\/esm/);
  }, 90_000);
});
