/**
 * Filters' body conditions read only the text of a message, and only so far (issue 16 §1: a
 * run over thousands of messages must cost bounded time): the text and HTML parts are found
 * beside a large attachment that is never decoded, and text that comes only after more than
 * BODY_READ_BYTES of the file is not looked at.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MessageRecord } from '../../shared/changes.js';
import { BODY_READ_BYTES, RuleSubject, ruleMatches } from '../../electron/core/rules/evaluate.js';
import { parseCondition } from '../../electron/core/rules/rule-text.js';

let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'rules-body-'));
});
afterAll(() => fs.rm(dir, { recursive: true, force: true }));

/** base64 lines of `bytes` pseudo-random bytes. */
function base64Lines(bytes: number): string {
  const b = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i++) b[i] = (i * 2654435761) >>> 24;
  return b.toString('base64').replace(/.{76}/g, '$&\r\n');
}

function multipart(parts: { type: string; body: string; encoding?: string; name?: string }[]): string {
  const head = ['From: ann@shop.example', 'Subject: parts', 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="b1"', '', ''].join('\r\n');
  const body = parts
    .map((p) => [`--b1`, `Content-Type: ${p.type}`, ...(p.encoding ? [`Content-Transfer-Encoding: ${p.encoding}`] : []), ...(p.name ? [`Content-Disposition: attachment; filename="${p.name}"`] : []), '', p.body].join('\r\n'))
    .join('\r\n');
  return `${head}${body}\r\n--b1--\r\n`;
}

let n = 0;
async function holds(raw: string, condition: string): Promise<boolean> {
  const file = path.join(dir, `m${++n}`);
  await fs.writeFile(file, raw);
  const record: MessageRecord = {
    id: `m${n}`,
    accountId: 'a',
    uidl: `u${n}`,
    receivedAt: 0,
    partial: false,
    flags: { seen: false, flagged: false },
    folder: 'INBOX',
    summary: { subject: 'parts', from: [], to: [], cc: [], date: null, messageId: null, inReplyTo: null, references: [], size: raw.length, hasAttachments: true, snippet: '' },
  };
  const rule = { name: 'r', enabled: true, match: 'all' as const, conditions: [parseCondition(condition)], actions: [{ t: 'flag' as const }] };
  return ruleMatches(rule, new RuleSubject(record, 'A', async () => file), 0);
}

describe('body conditions read the text parts, bounded', () => {
  it('finds the text before a 6 MB attachment (not the HTML past the read bound), and not an attachment’s content', async () => {
    const raw = multipart([
      { type: 'text/plain; charset=utf-8', body: 'Please pay invoice 42.' },
      { type: 'application/octet-stream', encoding: 'base64', name: 'big.bin', body: base64Lines(6 * 1024 * 1024) },
      { type: 'text/html; charset=utf-8', body: '<p>Reference <b>ZX-99</b></p>' },
    ]);
    expect(await holds(raw, 'body contains "invoice 42"')).toBe(true);
    // The HTML part comes after the attachment, past the read bound: not looked at.
    expect(await holds(raw, 'body contains ZX-99')).toBe(false);
    // An attachment's words are not the body's.
    const withNote = multipart([
      { type: 'text/plain; charset=utf-8', body: 'See the file.' },
      { type: 'text/plain; charset=utf-8', name: 'notes.txt', body: 'secret-word' },
    ]);
    expect(await holds(withNote, 'body contains "see the file"')).toBe(true);
    expect(await holds(withNote, 'body contains secret-word')).toBe(false);
  });

  it('finds text after a small attachment, and HTML-only mail as its text', async () => {
    const raw = multipart([
      { type: 'application/pdf', encoding: 'base64', name: 'a.pdf', body: base64Lines(100 * 1024) },
      { type: 'text/html; charset=utf-8', body: '<p>Reference <b>ZX-99</b></p>' },
    ]);
    expect(await holds(raw, 'body contains "reference zx-99"')).toBe(true);
  });

  it('looks no further than BODY_READ_BYTES into the file', async () => {
    const pad = base64Lines(BODY_READ_BYTES);
    const raw = multipart([
      { type: 'application/octet-stream', encoding: 'base64', name: 'pad.bin', body: pad },
      { type: 'text/plain; charset=utf-8', body: 'late words' },
    ]);
    expect(await holds(raw, 'body contains "late words"')).toBe(false);
  });
});
