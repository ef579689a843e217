import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readFileOrNone } from '../../electron/core/store/durable.js';
import { Ledger } from '../../electron/core/store/ledger.js';

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-ledger-'));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('Ledger', () => {
  it('persists staged events only on commit, and replays them on open', async () => {
    const file = path.join(dir, 'ledger.jsonl');
    const l = await Ledger.open(file);
    l.downloaded('u1', 'aaaaaaaaaaaaaaaa', 1000, 10, false);
    l.downloaded('u2', 'bbbbbbbbbbbbbbbb', 1000, 20, true);
    expect((await Ledger.open(file)).size).toBe(0);
    await l.commit();
    l.deletedLocally('u1', 2000);
    l.serverDeleted(['u1'], 3000);
    l.completed('u2', 25);
    await l.commit();
    const again = await Ledger.open(file);
    expect(again.get('u1')).toMatchObject({ deletedLocallyAt: 2000, serverDeletedAt: 3000 });
    expect(again.get('u2')).toMatchObject({ partial: false, size: 25 });
    expect(again.getById('bbbbbbbbbbbbbbbb')?.uidl).toBe('u2');
  });

  it('keeps what the pending-deletions list shows of a message deleted here, and reads ledgers written without it', async () => {
    const file = path.join(dir, 'ledger.jsonl');
    // A line as older Popbox wrote it: no preview.
    await fs.writeFile(file, `${JSON.stringify({ e: 'dl', u: 'u0', id: 'zzzzzzzzzzzzzzzz', at: 1, size: 5, partial: false })}\n${JSON.stringify({ e: 'del', u: 'u0', at: 2 })}\n`);
    const l = await Ledger.open(file);
    expect(l.get('u0')).toMatchObject({ deletedLocallyAt: 2 });
    expect(l.get('u0')?.preview).toBeUndefined();
    l.downloaded('u1', 'aaaaaaaaaaaaaaaa', 1000, 10, false);
    l.deletedLocally('u1', 2000, { subject: 'Grüße', from: 'Ann Example', date: '2026-11-03T10:00:00.000Z' });
    await l.commit();
    const preview = { subject: 'Grüße', from: 'Ann Example', date: '2026-11-03T10:00:00.000Z' };
    expect((await Ledger.open(file)).get('u1')?.preview).toEqual(preview);
    // Compaction keeps it too.
    await l.compact(3000);
    expect((await Ledger.open(file)).get('u1')?.preview).toEqual(preview);
  });

  it('commits one after another: overlapping commits write every event exactly once', async () => {
    const file = path.join(dir, 'ledger.jsonl');
    const l = await Ledger.open(file);
    l.downloaded('u1', 'aaaaaaaaaaaaaaaa', 1000, 10, false);
    const first = l.commit();
    // Staged while the first commit is writing: the second commit's, never lost, never twice.
    l.downloaded('u2', 'bbbbbbbbbbbbbbbb', 1000, 20, false);
    const second = l.commit();
    l.deletedLocally('u1', 2000);
    const third = l.commit();
    await Promise.all([first, second, third]);
    const lines = (await fs.readFile(file, 'utf8')).trim().split('\n').map((x) => JSON.parse(x) as { e: string; u: string });
    expect(lines.map((x) => `${x.e}:${x.u}`)).toEqual(['dl:u1', 'dl:u2', 'del:u1']);
    expect(l.hasStaged).toBe(false);
  });

  it('compacts by itself once the file outgrows its entries, and the commit that triggers it resolves', async () => {
    const file = path.join(dir, 'ledger.jsonl');
    const l = await Ledger.open(file);
    l.downloaded('u1', 'aaaaaaaaaaaaaaaa', 1000, 10, false);
    await l.commit();
    for (let i = 0; i < 1_100; i++) {
      l.deletedLocally('u1', 2000 + i);
      await Promise.race([l.commit(), new Promise((_, reject) => setTimeout(() => reject(new Error(`commit ${i} hung`)), 5_000))]);
    }
    const lines = (await fs.readFile(file, 'utf8')).trim().split('\n');
    expect(lines.length).toBeLessThan(200);
    expect((await Ledger.open(file)).get('u1')?.deletedLocallyAt).toBe(2000 + 1_099);
  });

  it('keeps events staged when the write fails, and writes them at the next commit', async () => {
    const file = path.join(dir, 'sub', 'ledger.jsonl');
    await fs.mkdir(path.dirname(file));
    const l = await Ledger.open(file);
    l.downloaded('u1', 'aaaaaaaaaaaaaaaa', 1000, 10, false);
    await fs.rm(path.dirname(file), { recursive: true });
    await expect(l.commit()).rejects.toMatchObject({ code: 'storage' });
    expect(l.hasStaged).toBe(true);
    await fs.mkdir(path.dirname(file));
    await l.commit();
    expect((await Ledger.open(file)).get('u1')).toBeDefined();
  });

  it('drops a torn last line (a crash mid-append) and appends cleanly after it', async () => {
    const file = path.join(dir, 'ledger.jsonl');
    const l = await Ledger.open(file);
    l.downloaded('u1', 'aaaaaaaaaaaaaaaa', 1000, 10, false);
    await l.commit();
    await fs.appendFile(file, '{"e":"dl","u":"u2","id":"bbbb');
    const recovered = await Ledger.open(file);
    expect(recovered.size).toBe(1);
    recovered.downloaded('u3', 'cccccccccccccccc', 1000, 10, false);
    await recovered.commit();
    const final = await Ledger.open(file);
    expect([...final.all()].map((e) => e.uidl)).toEqual(['u1', 'u3']);
  });

  it('cuts a torn last line at its byte offset, also after a line with bytes that are not UTF-8', async () => {
    const file = path.join(dir, 'ledger.jsonl');
    const dl = (u: string, id: string) => JSON.stringify({ e: 'dl', u, id, at: 1, size: 5, partial: false });
    // A broken line of stray bytes (each read as one 3-byte U+FFFD), then a whole line, then a torn one.
    const whole = Buffer.concat([Buffer.from(`${dl('a', 'i1')}\n`), Buffer.from([0xff, 0xfe, 0x0a]), Buffer.from(`${dl('b', 'i2')}\n`)]);
    await fs.writeFile(file, Buffer.concat([whole, Buffer.from('{"e":"dl","u":"c","id":"i3\xe2\x82')]));
    const l = await Ledger.open(file);
    expect([...l.all()].map((e) => e.uidl)).toEqual(['a', 'b']);
    expect(await fs.readFile(file)).toEqual(whole);
  });

  it('never cuts records appended after the file was read: a file that changed under its reader is a storage error', async () => {
    const file = path.join(dir, 'ledger.jsonl');
    await fs.writeFile(file, '{"e":"dl","u":"a","id":"i1","at":1,"size":5,"partial":false}\n{"e":"dl","u":"b"');
    const read = await readFileOrNone(file, 'the ledger');
    // Another writer finished its line and appended one more (none can while the lock is held).
    await fs.appendFile(file, ',"id":"i2","at":2,"size":5,"partial":false}\n{"e":"dl","u":"c","id":"i3","at":3,"size":5,"partial":false}\n');
    const before = await fs.readFile(file);
    await expect(Ledger.fromRead(read)).rejects.toMatchObject({ code: 'storage' });
    expect(await fs.readFile(file)).toEqual(before);
    expect([...(await Ledger.open(file)).all()].map((e) => e.uidl)).toEqual(['a', 'b', 'c']);
  });

  it('reads a file another tool damaged line by line: broken, doubled, split and empty lines skipped, every whole event kept', async () => {
    const file = path.join(dir, 'ledger.jsonl');
    const dl = (u: string, id: string, at: number) => JSON.stringify({ e: 'dl', u, id, at, size: 5, partial: false });
    // One value per line, or the line does not count (a faster whole-file read must decline these too).
    const cases: [string, string[]][] = [
      [`${dl('a', 'i1', 1)}\n{broken\n${dl('b', 'i2', 2)}\n`, ['a', 'b']],
      [`${dl('a', 'i1', 1)}\n${dl('x', 'i9', 9)},${dl('y', 'i8', 8)}\n${dl('b', 'i2', 2)}\n`, ['a', 'b']],
      [`${dl('a', 'i1', 1)}\n[${dl('x', 'i9', 9)}\n${dl('y', 'i8', 8)}]\n${dl('b', 'i2', 2)}\n`, ['a', 'b']],
      [`${dl('a', 'i1', 1)}\n\n${dl('b', 'i2', 2)}\n`, ['a', 'b']],
    ];
    for (const [text, uidls] of cases) {
      await fs.writeFile(file, text);
      const l = await Ledger.open(file);
      expect([...l.all()].map((e) => e.uidl).sort()).toEqual(uidls);
    }
    // A clean file: a UIDL downloaded again keeps what its first entry had.
    await fs.writeFile(file, `${dl('a', 'i1', 1)}\n${JSON.stringify({ e: 'del', u: 'a', at: 3 })}\n${dl('a', 'i3', 4)}\n`);
    const l = await Ledger.open(file);
    expect(l.get('a')).toEqual({ uidl: 'a', id: 'i3', downloadedAt: 4, size: 5, partial: false, deletedLocallyAt: 3 });
    expect(l.size).toBe(1);
  });

  it('keeps UIDLs with any bytes intact', async () => {
    const file = path.join(dir, 'ledger.jsonl');
    const l = await Ledger.open(file);
    const odd = 'ü\u00ff "quoted" \\ back/slash\t';
    l.downloaded(odd, 'aaaaaaaaaaaaaaaa', 1000, 10, false);
    await l.commit();
    expect((await Ledger.open(file)).get(odd)?.id).toBe('aaaaaaaaaaaaaaaa');
  });

  it('compacts to one line per entry and forgets entries gone for over 30 days', async () => {
    const file = path.join(dir, 'ledger.jsonl');
    const l = await Ledger.open(file);
    const day = 24 * 3600 * 1000;
    for (let i = 0; i < 50; i++) l.downloaded(`u${i}`, i.toString(16).padStart(16, '0'), 0, 10, false);
    await l.commit();
    l.gone(['u0'], 0);
    l.serverDeleted(['u1'], 40 * day);
    await l.commit();
    await l.compact(41 * day);
    const text = await fs.readFile(file, 'utf8');
    expect(text.trim().split('\n')).toHaveLength(49);
    const again = await Ledger.open(file);
    expect(again.get('u0')).toBeUndefined();
    expect(again.get('u1')?.serverDeletedAt).toBe(40 * day);
  });
});
