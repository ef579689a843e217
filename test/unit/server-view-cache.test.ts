/**
 * The On the server cache (core/server-view/cache.ts, chosen.ts): what a listing keeps on disk,
 * its bounds, that UIDLs gone from the server are forgotten, and that the parsed file is kept in
 * memory (a cached listing does not re-read it) yet every write is seen.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { applyListing, cacheFile, dropUidls, emptyCache, HEADER_MAX, loadCache, putHeaders, rawBytes, readCache, saveCache, TOTAL_MAX } from '../../electron/core/server-view/cache.js';
import { CHOSEN_FILE, loadChosen, pruneChosen, saveChosen } from '../../electron/core/server-view/chosen.js';
import { shownFields } from '../../electron/core/server-view/top.js';

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-sv-cache-'));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const fields = { from: 'Ann', subject: 'hello', date: null };

describe('server headers cache', () => {
  it('round-trips through the file, bytes of the header block included', async () => {
    const cache = emptyCache();
    applyListing(cache, { messages: [{ num: 1, uidl: 'a', size: 10 }, { num: 2, uidl: '__proto__', size: 20 }], count: 2, bytes: 30, at: 123 });
    const raw = Buffer.from([0x53, 0x75, 0x62, 0x6a, 0xe9, 0xff, 0x0a]);
    putHeaders(cache, '__proto__', { ...fields, junk: { verdict: 'junk', score: 0.9999 }, held: true }, raw, { left: TOTAL_MAX });
    await saveCache(dir, cache);
    const back = await loadCache(dir);
    expect(back.listedAt).toBe(123);
    expect(back.count).toBe(2);
    expect(back.bytes).toBe(30);
    expect(back.messages).toEqual(cache.messages);
    const h = back.headers.get('__proto__')!;
    expect(h).toMatchObject({ from: 'Ann', subject: 'hello', held: true, junk: { verdict: 'junk', score: 0.9999 } });
    expect(Buffer.from(h.raw!, 'latin1')).toEqual(raw);
  });

  it('keeps at most HEADER_MAX of one block, and past the account budget only the shown fields', () => {
    const cache = emptyCache();
    const budget = { left: HEADER_MAX + 10 };
    putHeaders(cache, 'big', fields, Buffer.alloc(HEADER_MAX * 3, 0x61), budget);
    expect(cache.headers.get('big')!.raw!.length).toBe(HEADER_MAX);
    putHeaders(cache, 'next', fields, Buffer.alloc(100, 0x62), budget);
    expect(cache.headers.get('next')!.raw).toBeUndefined();
    expect(cache.headers.get('next')!.subject).toBe('hello');
    expect(rawBytes(cache)).toBe(HEADER_MAX);
  });

  it('a new listing forgets the headers of UIDLs the server no longer holds; a deletion updates STAT', () => {
    const cache = emptyCache();
    applyListing(cache, { messages: [{ num: 1, uidl: 'a', size: 10 }, { num: 2, uidl: 'b', size: 20 }], count: 2, bytes: 30, at: 1 });
    putHeaders(cache, 'a', fields, Buffer.from('x'), { left: 100 });
    putHeaders(cache, 'b', fields, Buffer.from('y'), { left: 100 });
    applyListing(cache, { messages: [{ num: 1, uidl: 'b', size: 20 }], count: 1, bytes: 20, at: 2 });
    expect([...cache.headers.keys()]).toEqual(['b']);
    dropUidls(cache, ['b']);
    expect(cache).toMatchObject({ count: 0, bytes: 0, messages: [] });
    expect(cache.headers.size).toBe(0);
  });

  it('a missing or damaged file is an empty cache (derived data), never an error', async () => {
    expect(await loadCache(dir)).toEqual(emptyCache());
    await fs.writeFile(cacheFile(dir), '{"version":1,"messages":[{"num":"x"}],"head');
    expect(await loadCache(dir)).toEqual(emptyCache());
    await fs.writeFile(cacheFile(dir), JSON.stringify({ version: 1, listedAt: 5, messages: [{ num: 1, uidl: 'a', size: 3 }, { bad: true }], headers: [['a', { subject: 7 }], 'junk'] }));
    const c = await loadCache(dir);
    expect(c.messages).toEqual([{ num: 1, uidl: 'a', size: 3 }]);
    expect(c.headers.get('a')).toEqual({ from: '', subject: '', date: null });
  });

  it('what the list shows comes from the header block (encoded words decoded)', () => {
    const raw = Buffer.from('From: =?UTF-8?Q?J=C3=B6rg?= <j@example.org>\r\nSubject: =?UTF-8?B?w4RwZmVs?=\r\nDate: Sun, 6 Dec 2026 08:00:00 +0000\r\n\r\n');
    expect(shownFields(raw)).toEqual({ from: 'Jörg', subject: 'Äpfel', date: '2026-12-06T08:00:00.000Z' });
  });
});

describe('server headers cache in memory', () => {
  const listed = (at: number, uidls: string[]) => {
    const cache = emptyCache();
    applyListing(cache, { messages: uidls.map((u, i) => ({ num: i + 1, uidl: u, size: 10 })), count: uidls.length, bytes: 10 * uidls.length, at });
    for (const u of uidls) putHeaders(cache, u, { ...fields, subject: `s-${u}` }, Buffer.from(`Subject: s-${u}\r\n`), { left: TOTAL_MAX });
    return cache;
  };

  it('parses the file once for any number of cached reads; a write here is seen at once', async () => {
    await saveCache(dir, listed(1, ['a', 'b']));
    const parse = vi.spyOn(JSON, 'parse');
    try {
      const first = await readCache(dir);
      for (let i = 0; i < 5; i++) expect(await readCache(dir)).toBe(first);
      expect(parse).toHaveBeenCalledTimes(1);
      expect(first.messages.map((m) => m.uidl)).toEqual(['a', 'b']);

      // A copy to change: the shared one stays as the file says until the change is saved.
      const mine = await loadCache(dir);
      dropUidls(mine, ['a']);
      expect((await readCache(dir)).messages.map((m) => m.uidl)).toEqual(['a', 'b']);
      expect((await readCache(dir)).headers.has('a')).toBe(true);
      await saveCache(dir, mine);
      expect((await readCache(dir)).messages.map((m) => m.uidl)).toEqual(['b']);
      expect((await readCache(dir)).headers.has('a')).toBe(false);
    } finally {
      parse.mockRestore();
    }
  });

  it('a file replaced behind its back (another Popbox process) is read again; a removed one reads empty', async () => {
    await saveCache(dir, listed(1, ['a']));
    expect((await readCache(dir)).listedAt).toBe(1);
    // Another process writes the same way (a new file renamed over), same size and all.
    const other = path.join(dir, 'other.json');
    await fs.writeFile(other, (await fs.readFile(cacheFile(dir), 'utf8')).replace('"listedAt":1', '"listedAt":2'));
    await fs.rename(other, cacheFile(dir));
    expect((await readCache(dir)).listedAt).toBe(2);
    await fs.rm(cacheFile(dir));
    expect(await readCache(dir)).toEqual(emptyCache());
  });
});

describe('chosen deletions', () => {
  it('are durable until the server no longer lists them', async () => {
    const chosen = new Map([
      ['a', 1],
      ['b', 2],
    ]);
    await saveChosen(dir, chosen);
    expect(await loadChosen(dir)).toEqual(chosen);
    expect(pruneChosen(chosen, new Set(['b', 'c']))).toBe(true);
    expect(pruneChosen(chosen, new Set(['b']))).toBe(false);
    await saveChosen(dir, chosen);
    expect([...(await loadChosen(dir)).keys()]).toEqual(['b']);
    chosen.clear();
    await saveChosen(dir, chosen);
    await expect(fs.access(path.join(dir, CHOSEN_FILE))).rejects.toThrow();
    expect((await loadChosen(dir)).size).toBe(0);
  });
});
