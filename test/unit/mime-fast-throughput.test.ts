/**
 * How much faster summarize() is than the mailparser path alone, logged rather than asserted
 * (timings vary by machine and by what else runs on it). Both paths summarize the same stored
 * files in the same run, batch by batch and taking turns at going first, three times over; each
 * message counts with its median time per path. A burst of load elsewhere on the machine then
 * falls on both paths alike and drops out of the medians: a single pass let a 100 ms hiccup
 * cost the fast path a quarter of its total and mailparser a twentieth.
 * Run it alone: npx vitest run test/unit/mime-fast-throughput.test.ts
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { summarize, summarizeFast, summarizeWithMailparser } from '../../electron/core/mime/summary.js';
import type { MessageSummary } from '../../shared/messages.js';
import { generateMessages, toCrlf } from '../support/mailgen.js';

const TOTAL = 500;
const BATCH = 50;
const ROUNDS = 3;

let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-mime-fast-throughput-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

type SizeClass = '2–20 KB' | '50–500 KB' | '1–10 MB';
const CLASSES: SizeClass[] = ['2–20 KB', '50–500 KB', '1–10 MB'];
const classOf = (bytes: number): SizeClass => (bytes < 40_000 ? '2–20 KB' : bytes < 900_000 ? '50–500 KB' : '1–10 MB');

interface Stored {
  file: string;
  size: number;
}

type Summarizer = (file: string) => Promise<MessageSummary>;

/** Milliseconds per message (one array per message, one entry per round), and the process's CPU time. */
interface Times {
  perMessage: number[][];
  cpu: number;
}

async function run(fn: Summarizer, files: Stored[], offset: number, into: Times): Promise<MessageSummary[]> {
  const out: MessageSummary[] = [];
  const cpuStarted = process.cpuUsage();
  for (const [i, { file }] of files.entries()) {
    const started = performance.now();
    out.push(await fn(file));
    (into.perMessage[offset + i] ??= []).push(performance.now() - started);
  }
  const cpu = process.cpuUsage(cpuStarted);
  into.cpu += (cpu.user + cpu.system) / 1000;
  return out;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

function report(t: Times, sizes: number[]): { total: number; text: string } {
  const medians = t.perMessage.map(median);
  const total = medians.reduce((a, b) => a + b, 0);
  const parts = CLASSES.map((c) => {
    const xs = medians.filter((_, i) => classOf(sizes[i] as number) === c);
    return `${c}: ${(xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length)).toFixed(2)} ms (n=${xs.length})`;
  });
  const cpu = t.cpu / (ROUNDS * TOTAL);
  return { total, text: `${((TOTAL / total) * 1000).toFixed(0)} summaries/s (${cpu.toFixed(2)} ms CPU each); ${parts.join(', ')}` };
}

it(`summarizes ${TOTAL} realistic messages with and without the fast path and logs both rates`, async () => {
  const before: Times = { perMessage: [], cpu: 0 };
  const after: Times = { perMessage: [], cpu: 0 };
  // Warm both paths up (JIT, lazily loaded modules) on messages that are not measured.
  for (const msg of generateMessages({ seed: 999, count: 20 })) {
    await summarizeWithMailparser(msg);
    await summarize(msg);
  }
  // All files are written first, so that neither path pays for the generator's garbage.
  const batches: Stored[][] = [];
  for (let b = 0; b < TOTAL / BATCH; b++) {
    const files: Stored[] = [];
    for (const [i, msg] of generateMessages({ seed: 1000 + b, count: BATCH }).entries()) {
      const file = path.join(dir, `${b}-${i}.eml`);
      const crlf = toCrlf(msg); // as the store keeps them
      await fs.writeFile(file, crlf);
      files.push({ file, size: crlf.length });
    }
    batches.push(files);
  }
  let fallbacks = 0;
  for (let round = 0; round < ROUNDS; round++) {
    for (const [b, files] of batches.entries()) {
      // Each path runs as it would in a sync, one message after another (taking turns message
      // by message made each fast summary pay for the garbage mailparser had just left).
      const offset = b * BATCH;
      let reference: MessageSummary[];
      let fast: MessageSummary[];
      if ((b + round) % 2 === 0) {
        reference = await run(summarizeWithMailparser, files, offset, before);
        fast = await run(summarize, files, offset, after);
      } else {
        fast = await run(summarize, files, offset, after);
        reference = await run(summarizeWithMailparser, files, offset, before);
      }
      expect(fast).toStrictEqual(reference);
      if (round === 0) for (const { file } of files) if ((await summarizeFast(file)) === null) fallbacks++;
    }
  }
  const sizes = batches.flat().map((f) => f.size);
  const a = report(before, sizes);
  const b = report(after, sizes);
  console.log(
    `summaries of ${TOTAL} realistic messages (one core, from files, median of ${ROUNDS} rounds):\n` +
      `  mailparser path: ${a.text}\n` +
      `  summarize():     ${b.text}\n` +
      `  speed-up ${(a.total / b.total).toFixed(1)}× (CPU: ${(before.cpu / after.cpu).toFixed(1)}×); the fast path handed ${fallbacks} of ${TOTAL} to mailparser`,
  );
}, 600_000);
