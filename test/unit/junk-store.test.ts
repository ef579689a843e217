/**
 * The word list on disk: what was learned survives a restart with the same scores, the file is
 * replaced atomically, a damaged file is reported in plain words, reset forgets.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { classify, learn } from '../../electron/core/junk/classify.js';
import { loadWordList, resetWordList, saveWordList, updateWordList, wordListPath } from '../../electron/core/junk/store.js';
import { WordList } from '../../electron/core/junk/wordlist.js';

const mail = (subject: string, body: string) => Buffer.from(`From: a@b.example\r\nSubject: ${subject}\r\n\r\n${body}\r\n`);

describe('the junk word list on disk', () => {
  let dataDir: string;
  beforeEach(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-junk-store-'));
  });
  afterEach(async () => {
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  it('is empty before anything is learned, and no file is made by reading it', async () => {
    const list = await loadWordList(dataDir);
    expect(list.junkMessages + list.hamMessages + list.counts.size).toBe(0);
    await expect(fs.access(wordListPath(dataDir))).rejects.toThrow();
  });

  it('learn, save, reload: the same counts and the same scores', async () => {
    const list = await loadWordList(dataDir);
    for (let i = 0; i < 5; i++) {
      learn(mail('win a prize', `claim your prize now winner ${i}`), list, 'junk');
      learn(mail('lunch', `see you at lunch tomorrow ${i}`), list, 'ham');
    }
    await saveWordList(dataDir, list);
    expect(wordListPath(dataDir)).toBe(path.join(dataDir, 'junk', 'wordlist.json'));
    expect(await fs.readdir(path.join(dataDir, 'junk'))).toEqual(['wordlist.json']); // no temporary left
    const again = await loadWordList(dataDir);
    expect(again.toJSON()).toEqual(list.toJSON());
    for (const m of [mail('prize', 'winner claim'), mail('lunch?', 'tomorrow at lunch'), mail('other', 'nothing known')]) {
      expect(classify(m, again)).toEqual(classify(m, list));
    }
    const json = JSON.parse(await fs.readFile(wordListPath(dataDir), 'utf8')) as { junkMessages: number; hamMessages: number; tokens: string[]; junk: number[]; ham: number[] };
    expect(json).toMatchObject({ version: 1, junkMessages: 5, hamMessages: 5 });
    const counts = (token: string) => [json.junk[json.tokens.indexOf(token)], json.ham[json.tokens.indexOf(token)]];
    expect(counts('prize')).toEqual([5, 0]);
    expect(counts('lunch')).toEqual([0, 5]);
  });

  it('a damaged file is a storage failure that says how to start again; reset removes it', async () => {
    await fs.mkdir(path.join(dataDir, 'junk'));
    await fs.writeFile(wordListPath(dataDir), '{"version":1,"tokens":["a"],"junk":[1');
    await expect(loadWordList(dataDir)).rejects.toMatchObject({ code: 'storage', message: expect.stringContaining('popbox junk reset') });
    await fs.writeFile(wordListPath(dataDir), '{"version":1,"junkMessages":1,"hamMessages":1,"tokens":["a","b"],"junk":[1],"ham":[0,1]}');
    await expect(loadWordList(dataDir)).rejects.toMatchObject({ code: 'storage' }); // arrays that do not line up
    await fs.writeFile(path.join(dataDir, 'junk', '.wordlist.json.abc123.tmp'), 'half');
    await resetWordList(dataDir);
    expect(await fs.readdir(path.join(dataDir, 'junk'))).toEqual([]);
    expect((await loadWordList(dataDir)).counts.size).toBe(0);
  });

  it('reading never removes a save in progress (its temporary file); only a change under the lock clears one left by a crash', async () => {
    const list = new WordList();
    learn(mail('prize', 'winner'), list, 'junk');
    await saveWordList(dataDir, list);
    const inProgress = path.join(dataDir, 'junk', '.wordlist.json.abc123.tmp');
    await fs.writeFile(inProgress, 'another process is writing this');
    expect((await loadWordList(dataDir)).junkMessages).toBe(1);
    expect(await fs.readFile(inProgress, 'utf8')).toBe('another process is writing this');
    await updateWordList(dataDir, async (l) => {
      learn(mail('lunch', 'today'), l, 'ham');
      return { save: true, result: null };
    });
    expect((await fs.readdir(path.join(dataDir, 'junk'))).sort()).toEqual(['wordlist.json']);
    expect(await loadWordList(dataDir)).toMatchObject({ junkMessages: 1, hamMessages: 1 });
  });

  it('counts that are not whole numbers (a string, a fraction, 1e308, negative) make the file damaged, never half-trusted', async () => {
    await fs.mkdir(path.join(dataDir, 'junk'));
    const good = { version: 1, junkMessages: 1, hamMessages: 1, tokens: ['prize', 'lunch'], junk: [1, 0], ham: [0, 1] };
    const cases: Record<string, unknown>[] = [
      { junk: ['5', 0] }, // learning would make the string "51"
      { junk: [1e308, 0] }, // Infinity and NaN in every score
      { ham: [0, 1.5] },
      { ham: [0, -1] },
      { junk: [null, 0] },
      { junkMessages: '1' },
      { hamMessages: 1e308 },
      { junkMessages: -2 },
      { tokens: ['prize', 7] },
    ];
    for (const damage of cases) {
      await fs.writeFile(wordListPath(dataDir), JSON.stringify({ ...good, ...damage }));
      await expect(loadWordList(dataDir), JSON.stringify(damage)).rejects.toMatchObject({ code: 'storage', message: expect.stringContaining('is damaged; "popbox junk reset" starts a new one') });
    }
    await fs.writeFile(wordListPath(dataDir), JSON.stringify(good));
    const list = await loadWordList(dataDir);
    learn(mail('prize', 'prize'), list, 'junk');
    expect(list.get('prize')).toEqual([2, 0]);
    expect(list.junkMessages).toBe(2);
  });
});
