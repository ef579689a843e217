/**
 * A search query is bounded (review finding 4): main's event loop also serves sync, sending and
 * every IPC call, so no query the page can send (1,000 characters at most) may hold it for long.
 * On 10,000 indexed messages: 200 copies of `-com` (a word in most addresses), a 200-way OR and
 * 259 distinct words each answer well under a bound the unbounded code exceeded, and say in
 * plain words what they left out; negations still leave out exactly what they name.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MailService } from '../../electron/core/mail-service.js';
import { MemorySecretStore } from '../../electron/core/secrets/index.js';
import { messageIdFor } from '../../electron/core/store/ids.js';
import { SEARCH_QUERY_MAX } from '../../shared/search.js';
import { generateMessage, mulberry32 } from '../support/mailgen.js';

const COUNT = 10_000;
/**
 * Measured on the shared 2-core dev box (load ~16), 10,000 messages: before the bounds, 200×
 * `-com` took 1.4 s (200 scans of the index into 200 sets); after, 0.1 s. The others were fast
 * before too at this size (their cost grows with the index: ~0.5–1 s at 100,000); what fails
 * there without the bounds is the number of words searched and highlighted.
 */
const BOUND_MS = 300;

describe('hostile search queries are bounded', () => {
  let dataDir: string;
  let service: MailService;

  beforeAll(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-search-hostile-'));
    const first = await MailService.open({ dataDir, secrets: new MemorySecretStore() });
    const accountId = (await first.addAccount({ name: 'Home', host: '127.0.0.1', port: 995, security: 'tls', user: 'u', password: { source: 'command', command: 'echo pw' } })).id;
    await first.close();
    const cur = path.join(dataDir, 'accounts', accountId, 'Maildir', 'cur');
    const rng = mulberry32(54);
    for (let i = 0; i < COUNT; i += 100) {
      await Promise.all(
        Array.from({ length: 100 }, (_, k) =>
          fs.writeFile(path.join(cur, `${messageIdFor(accountId, `h${i + k}`)}:2,`), generateMessage(9000 + i + k, 1024 + Math.floor(rng() * 3072), { attachment: false })),
        ),
      );
    }
    // No clean-close mark: the next open reconciles and journals every file.
    await fs.rm(path.join(dataDir, 'closed-cleanly'), { force: true });
    service = await MailService.open({ dataDir, secrets: new MemorySecretStore() });
    await service.searchIndexed();
  }, 600_000);

  afterAll(async () => {
    await service?.close();
    if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
  });

  /** The answer and the fastest of three runs (a busy shared machine adds spikes, never removes work). */
  const timed = async (query: string) => {
    expect(query.length).toBeLessThanOrEqual(SEARCH_QUERY_MAX);
    let ms = Infinity;
    let r = await service.search({ query, limit: COUNT });
    for (let run = 0; run < 3; run++) {
      const t0 = performance.now();
      r = await service.search({ query, limit: COUNT });
      ms = Math.min(ms, performance.now() - t0);
    }
    return { r, ms };
  };

  it('200 copies of a negated common word: one clause, the same answer as one copy, quickly', async () => {
    const once = await service.search({ query: '-com ', limit: COUNT });
    // The question must be one that is worth asking: "com" is in most messages, not all.
    expect(once.total).toBeGreaterThan(COUNT / 10);
    expect(once.total).toBeLessThan(COUNT * 0.9);
    const { r, ms } = await timed(`${Array(200).fill('-com').join(' ')} `);
    expect(ms).toBeLessThan(BOUND_MS);
    expect(r.total).toBe(once.total);
    expect(new Set(r.ids)).toEqual(new Set(once.ids));
    expect(r.understood).toBe('-com');
  });

  it('a word with negations leaves out exactly the messages that have the negated words', async () => {
    const all = async (q: string) => new Set((await service.search({ query: q, limit: COUNT })).ids);
    const meeting = await all('meeting ');
    const com = await all('com ');
    const budget = await all('budget ');
    const expected = [...meeting].filter((id) => !com.has(id) && !budget.has(id));
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.length).toBeLessThan(meeting.size);
    expect(await all('meeting -com -budget')).toEqual(new Set(expected));
    // Only negations: everything (in scope) except what has either word.
    const none = await all('-com -budget');
    const everything = await all('in:inbox');
    expect(none).toEqual(new Set([...everything].filter((id) => !com.has(id) && !budget.has(id))));
    // OR mixing a word with a negated word, and a negated pair: set arithmetic of the parts.
    expect(await all('budget OR -com ')).toEqual(new Set([...everything].filter((id) => budget.has(id) || !com.has(id))));
    expect(await all('meeting -com OR -budget ')).toEqual(new Set([...meeting].filter((id) => !(com.has(id) && budget.has(id)))));
    expect(await all('meeting budget OR is:flagged ')).toEqual(new Set([...meeting].filter((id) => budget.has(id))));
  });

  it('a 200-way OR searches the first 32 words and says so', async () => {
    const words = Array.from({ length: 200 }, (_, i) => (i + 36).toString(36));
    const { r, ms } = await timed(words.join(' | '));
    expect(ms).toBeLessThan(BOUND_MS);
    expect(r.terms.length).toBeLessThanOrEqual(32);
    expect(r.ignored).toContain('Only the first 32 words are searched');
    // The 32 it kept still find what they find on their own.
    const first = await service.search({ query: words.slice(0, 32).join(' | ') + ' ', limit: COUNT });
    expect(r.total).toBe(first.total);
  });

  it('259 distinct words: at most 32 are searched and highlighted', async () => {
    const query = Array.from({ length: 400 }, (_, i) => 'q' + i.toString(36))
      .join(' ')
      .slice(0, SEARCH_QUERY_MAX);
    const { r, ms } = await timed(query);
    expect(ms).toBeLessThan(BOUND_MS);
    expect(r.terms.length).toBeLessThanOrEqual(32);
    expect(r.ignored).toContain('Only the first 32 words are searched');
  });

  it('common words OR-ed with many others: snippets use at most 32 words', async () => {
    const common = ['meeting', 'budget', 'report', 'the', 'and', 'com'];
    const filler = Array.from({ length: 160 }, (_, i) => 'z' + i.toString(36));
    const query = [...common, ...filler].join(' | ').slice(0, SEARCH_QUERY_MAX).replace(/ \|? ?\S*$/, '');
    const { r, ms } = await timed(query);
    expect(ms).toBeLessThan(BOUND_MS);
    expect(r.total).toBeGreaterThan(COUNT / 2);
    expect(r.snippets.length).toBeGreaterThan(0);
    expect(r.terms.length).toBeLessThanOrEqual(32);
  });
});
