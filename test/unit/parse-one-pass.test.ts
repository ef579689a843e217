/**
 * A new message's summary and search text come from one walk of its MIME structure
 * (ingest/summary-text.ts, issue 18). They must be byte for byte what the two separate paths
 * give (mime/summary.ts's summarize, search/extract.ts's extractText), which stay the
 * definition: every message of the SpamAssassin corpus from bytes, the bench's mixes from bytes
 * and from files (a file over a megabyte is read through a moving window), and damaged ones.
 */
import fc from 'fast-check';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseStored } from '../../electron/core/ingest/parse-stored.js';
import { summarize } from '../../electron/core/mime/summary.js';
import { summaryAndText } from '../../electron/core/ingest/summary-text.js';
import { extractText } from '../../electron/core/search/extract.js';
import { benchMailbox } from '../bench/bench-mail.js';
import { generateMessage, generateMessages } from '../support/mailgen.js';
import { CORPUS_GROUPS, corpusMessage, corpusNames } from '../support/spam-corpus.js';

const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-one-pass-'));
afterAll(() => fs.rm(dir, { recursive: true, force: true }));

/** What the two separate paths give (parse-stored.ts before the one pass). */
async function separately(source: Buffer | string): Promise<unknown> {
  return { summary: await summarize(source), text: await extractText(source) };
}

describe('one walk gives the summary and the search text the two paths give', () => {
  it('for every message of the SpamAssassin corpus', { timeout: 600_000 }, async () => {
    let n = 0;
    for (const group of CORPUS_GROUPS) {
      for (const name of await corpusNames(group)) {
        const bytes = await corpusMessage(group, name);
        const want = await separately(bytes);
        expect(await parseStored('unused', { bytes }), `${group}/${name}`).toStrictEqual(want);
        n++;
      }
    }
    expect(n).toBeGreaterThan(6_000);
  });

  it('for the bench mixes, from bytes and from files (windows that move over big attachments)', { timeout: 300_000 }, async () => {
    const mail = [...benchMailbox('ordinary', 200), ...benchMailbox('large', 60)];
    for (const [i, bytes] of mail.entries()) {
      const file = path.join(dir, `m${i}`);
      await fs.writeFile(file, bytes);
      const want = await separately(bytes);
      expect(await parseStored(file, { bytes }), `#${i} bytes`).toStrictEqual(want);
      expect(await parseStored(file), `#${i} file`).toStrictEqual(want);
      // Past parse-stored's whole-file read: the reader's window moves over the file.
      expect(await summaryAndText(file), `#${i} window`).toStrictEqual(await separately(file));
      await fs.rm(file);
    }
  });

  it('for damaged messages (property test)', { timeout: 300_000 }, async () => {
    const base = [...generateMessages({ seed: 3, count: 3, mix: 'small' }), generateMessage(5, 60_000, { attachment: true }), generateMessage(6, 300_000, { attachment: true })];
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: base.length - 1 }),
        fc.array(fc.tuple(fc.nat(), fc.constantFrom(...['\n', '\r\n', '--', '-', '=', ' ', '\r', ':', 'mix', 'alt', '\n\n', '"', ';', '<', '>', 'Content-Type: ', '\x00', '\xe9']), fc.nat({ max: 40 })), { maxLength: 6 }),
        async (which, edits) => {
          let bytes = base[which]!;
          for (const [at, insert, del] of edits) {
            const pos = at % (bytes.length + 1);
            bytes = Buffer.concat([bytes.subarray(0, pos), Buffer.from(insert, 'latin1'), bytes.subarray(pos + del)]);
          }
          expect(await parseStored('unused', { bytes }), JSON.stringify(edits)).toStrictEqual(await separately(bytes));
        },
      ),
      { numRuns: 300 },
    );
  });
});
