/**
 * DESIGN §3.5: memory stays bounded whatever the message size. Each case streams a large
 * message to a temp file first (never building it in memory), then watches the process's RSS
 * while the MIME layer reads it.
 */
import fs from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBody, saveAttachment } from '../../electron/core/mime/body.js';
import { summarize } from '../../electron/core/mime/summary.js';
import { collectGarbage } from '../support/gc.js';
import { sha256File, writeBigAttachmentMessage } from '../support/mime.js';

const MB = 1024 * 1024;
const RSS_BUDGET = 80 * MB;

let dir: string;
let bigFile: string;
let bigSha: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-mime-memory-'));
  bigFile = path.join(dir, 'big.eml');
  bigSha = await writeBigAttachmentMessage(bigFile, 100 * MB);
}, 120_000);
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

/** Runs `fn`, sampling RSS every 5 ms; returns its result and the largest growth seen. */
async function measure<T>(label: string, fn: () => Promise<T>): Promise<{ result: T; growth: number }> {
  // Garbage left by writing the test file would otherwise sit in the baseline and be collected
  // during the measurement, hiding growth.
  collectGarbage();
  const before = process.memoryUsage().rss;
  let peak = before;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 5);
  const started = performance.now();
  try {
    const result = await fn();
    peak = Math.max(peak, process.memoryUsage().rss);
    const growth = peak - before;
    console.log(`${label}: ${Math.round(performance.now() - started)} ms, RSS before ${(before / MB).toFixed(0)} MB, peak growth ${(growth / MB).toFixed(1)} MB`);
    return { result, growth };
  } finally {
    clearInterval(timer);
  }
}

describe('bounded memory', () => {
  it('summarizes a message with a 100 MB attachment without holding it', async () => {
    const { result, growth } = await measure('summarize 100 MB attachment', () => summarize(bigFile));
    expect(result).toMatchObject({ subject: 'A very large attachment', hasAttachments: true, snippet: 'The archive is attached.' });
    expect(result.size).toBe((await fs.stat(bigFile)).size);
    expect(growth).toBeLessThan(RSS_BUDGET);
  }, 60_000);

  it('lists the 100 MB attachment with its exact size, counting by draining', async () => {
    const { result, growth } = await measure('readBody 100 MB attachment', () => readBody(bigFile));
    expect(result.attachments).toEqual([
      { id: '1', filename: 'archive.bin', contentType: 'application/octet-stream', size: 100 * MB, contentId: null, inline: false },
    ]);
    expect(growth).toBeLessThan(RSS_BUDGET);
  }, 60_000);

  it('saves the 100 MB attachment byte-exact, streaming', async () => {
    const dest = path.join(dir, 'archive.bin');
    const { result, growth } = await measure('saveAttachment 100 MB', () => saveAttachment(bigFile, '1', dest));
    expect(result.size).toBe(100 * MB);
    expect(await sha256File(dest)).toBe(bigSha);
    expect(growth).toBeLessThan(RSS_BUDGET);
    await fs.rm(dest);
  }, 60_000);

  it('caps a 100 MB text/plain body (mailparser alone would keep all of it)', async () => {
    const file = path.join(dir, 'text.eml');
    const out = createWriteStream(file);
    out.write('From: a@example.com\r\nSubject: a very long text\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n');
    const block = 'The quick brown fox jumps over the lazy dog, again and again and again.\r\n'.repeat(10_000);
    for (let written = 0; written < 100 * MB; written += block.length) {
      if (!out.write(block)) await once(out, 'drain');
    }
    out.end();
    await once(out, 'finish');

    const summary = await measure('summarize 100 MB text', () => summarize(file));
    expect(summary.result.snippet.startsWith('The quick brown fox')).toBe(true);
    expect(summary.growth).toBeLessThan(RSS_BUDGET);

    const body = await measure('readBody 100 MB text, 1 MB cap', () => readBody(file, { maxTextBytes: MB }));
    expect(body.result.truncated).toBe(true);
    expect(Buffer.byteLength(body.result.text ?? '')).toBeLessThanOrEqual(MB);
    expect(body.growth).toBeLessThan(RSS_BUDGET);
  }, 60_000);
});
