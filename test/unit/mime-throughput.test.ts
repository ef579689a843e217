/**
 * How fast summaries are made from stored files, logged rather than asserted (timings vary by
 * machine; `npm run bench` is where numbers are judged). Messages come in batches so the
 * realistic mix (5% of them 1–10 MB) never sits in memory all at once.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { summarize } from '../../electron/core/mime/summary.js';
import { MessageSummary } from '../../shared/messages.js';
import { generateMessages, toCrlf } from '../support/mailgen.js';

const TOTAL = 500;
const BATCH = 50;

let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-mime-throughput-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

it(`summarizes ${TOTAL} realistic messages and logs the rate`, async () => {
  let elapsed = 0;
  let bytes = 0;
  let withAttachments = 0;
  for (let b = 0; b < TOTAL / BATCH; b++) {
    const files: string[] = [];
    for (const [i, msg] of generateMessages({ seed: 1000 + b, count: BATCH }).entries()) {
      const file = path.join(dir, `${b}-${i}.eml`);
      await fs.writeFile(file, toCrlf(msg)); // as the store keeps them
      files.push(file);
      bytes += msg.length;
    }
    const started = performance.now();
    const summaries = [];
    for (const file of files) summaries.push(await summarize(file));
    elapsed += performance.now() - started;
    for (const s of summaries) {
      MessageSummary.parse(s);
      expect(s.snippet.length).toBeGreaterThan(0);
      if (s.hasAttachments) withAttachments++;
    }
    await Promise.all(files.map((f) => fs.rm(f)));
  }
  const rate = TOTAL / (elapsed / 1000);
  console.log(
    `summaries: ${TOTAL} messages (${(bytes / 1024 / 1024).toFixed(0)} MB, ${withAttachments} with attachments) ` +
      `in ${elapsed.toFixed(0)} ms = ${rate.toFixed(0)} summaries/s (one core, from files)`,
  );
  expect(withAttachments).toBeGreaterThan(0);
}, 120_000);
