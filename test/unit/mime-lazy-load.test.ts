/**
 * What a parse worker (and a CLI sync) loads to summarize and index ordinary mail (issue 18: its
 * start cost ~0.5 s of CPU, most of it mailparser's MIME parser and zod, neither of which the fast
 * paths use). Run in a fresh process, with a resolve hook that writes down every mailparser
 * module loaded: ordinary mail must load none of mailparser's modules (nodemailer's address parser,
 * which mailparser's address-header module wraps, is taken on its own, without that module's `he`
 * and second libmime), and a message the fast path hands to mailparser still gets it.
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
  // Runs in Node's loader thread: appends each mailparser module resolved (ESM imports) to the log.
  fs.writeFileSync(
    path.join(dir, 'hook.mjs'),
    `import fs from 'node:fs';
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  if (r.url.includes('/mailparser/') || r.url.includes('/zod/')) fs.appendFileSync(${JSON.stringify(path.join(dir, 'loaded.log'))}, r.url + '\\n');
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
    // The slow path still works, and the hook would have seen mailparser load.
    expect(out.slow).toStrictEqual(out.parsed.summary);
    expect(out.after).toMatch(/mailparser\/dist\/esm\/(index|mail-parser)\.js/);
  }, 90_000);
});
