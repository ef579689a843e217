/**
 * The junk filter's step on arrival and the Junk / Not junk actions (JunkService), with files on
 * disk and a word list saved in a data directory; moves recorded as the folder service would do them.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MessageRecord } from '../../shared/changes.js';
import { classify, learn, loadWordList, saveWordList, WordList } from '../../electron/core/junk/index.js';
import { JunkService } from '../../electron/core/junk/junk-service.js';

const junkMail = (i: number, from = `offers${i}@bulk.example.biz`) =>
  `From: Deals <${from}>\r\nSubject: Cheap pills discount ${i}\r\n\r\nBuy cheap pills, viagra discount, click http://bulk.example.biz/${i} winner prize\r\n`;
const goodMail = (i: number) => `From: Colleague <c${i}@work.example.org>\r\nSubject: Meeting notes ${i}\r\n\r\nHi, the meeting notes for the project review. Regards, team ${i}\r\n`;
const unsureMail = 'From: x@elsewhere.example\r\nSubject: Meeting notes\r\n\r\ncheap pills viagra discount winner prize meeting notes project review regards team\r\n';

describe('JunkService', () => {
  let dir: string;
  let records: Map<string, MessageRecord>;
  let moves: { ids: string[]; folder: string }[];
  let wroteTo: Set<string>;

  const service = () =>
    new JunkService({
      dataDir: path.join(dir, 'data'),
      get: (id) => records.get(id),
      locate: async (id) => path.join(dir, 'mail', id),
      move: async (ids, folder, junkedBy) => {
        moves.push({ ids: [...ids], folder });
        for (const id of ids) {
          // As the journal reads a move: who filed it, only as said by this move.
          const { junkedBy: _was, ...m } = records.get(id)!;
          const by = junkedBy?.(id);
          records.set(id, { ...m, folder, ...(by ? { junkedBy: by } : {}) });
        }
      },
      folderKeys: () => new Set(['INBOX', 'Junk', 'Trash', 'Receipts']),
      hasWrittenTo: (a) => wroteTo.has(a),
      trustServerVerdict: () => false,
    });

  const put = async (id: string, text: string, folder = 'INBOX') => {
    await fs.writeFile(path.join(dir, 'mail', id), text);
    records.set(id, { id, accountId: 'a1', folder, uidl: id, receivedAt: 0 } as unknown as MessageRecord);
  };

  const trainOnDisk = async () => {
    const list = new WordList();
    for (let i = 0; i < 6; i++) {
      learn(Buffer.from(junkMail(i)), list, 'junk');
      learn(Buffer.from(goodMail(i)), list, 'ham');
    }
    await saveWordList(path.join(dir, 'data'), list);
  };

  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-junk-arrivals-'));
    await fs.mkdir(path.join(dir, 'mail'));
    records = new Map();
    moves = [];
    wroteTo = new Set();
  });
  afterEach(() => fs.rm(dir, { recursive: true, force: true }));

  it('moves junk to Junk and keeps good and unsure mail in the inbox', async () => {
    await trainOnDisk();
    await put('j', junkMail(7));
    await put('g', goodMail(7));
    await put('u', unsureMail);
    const r = await service().classifyArrivals(['j', 'g', 'u']);
    expect(r).toMatchObject({ junk: ['j'], ham: ['g'], unsure: ['u'] });
    expect(moves).toEqual([{ ids: ['j'], folder: 'Junk' }]);
    expect(records.get('g')!.folder).toBe('INBOX');
    expect(records.get('u')!.folder).toBe('INBOX');
  });

  it('never files mail from someone the user wrote to', async () => {
    await trainOnDisk();
    await put('j', junkMail(8, 'friend@bulk.example.biz'));
    wroteTo.add('friend@bulk.example.biz');
    const r = await service().classifyArrivals(['j']);
    expect(r.junk).toEqual([]);
    expect(moves).toEqual([]);
    expect(records.get('j')!.folder).toBe('INBOX');
  });

  it('leaves what a rule already filed where the rule put it', async () => {
    await trainOnDisk();
    await put('j', junkMail(9), 'Receipts');
    const r = await service().classifyArrivals(['j']);
    expect(r.skipped).toEqual(['j']);
    expect(moves).toEqual([]);
  });

  it('files by the verdicts the forward decision reached, without reading those messages again; one a rule filed meanwhile stays put', async () => {
    await trainOnDisk();
    await put('j', junkMail(10));
    await put('k', junkMail(11));
    await put('g', goodMail(10));
    const junk = service();
    const judged = await junk.classifyArrivals(['j', 'k', 'g'], { file: false });
    expect(judged).toMatchObject({ junk: ['j', 'k'], ham: ['g'] });
    expect(moves).toEqual([]);
    const verdicts = new Map([...judged.junk.map((id) => [id, 'junk'] as const), ...judged.ham.map((id) => [id, 'ham'] as const)]);
    // A rule filed k in Receipts; the files are gone from where the filter would read them.
    records.set('k', { ...records.get('k')!, folder: 'Receipts' });
    for (const id of ['j', 'k', 'g']) await fs.rm(path.join(dir, 'mail', id));
    const r = await junk.classifyArrivals(['j', 'k', 'g'], { judged: verdicts });
    expect(r).toMatchObject({ junk: ['j'], ham: ['g'], skipped: ['k'] });
    expect(moves).toEqual([{ ids: ['j'], folder: 'Junk' }]);
    expect(records.get('k')!.folder).toBe('Receipts');
  });

  it('says who filed each message in Junk: the filter with its score (also when judged before the rules), the person for Junk', async () => {
    await trainOnDisk();
    await put('j', junkMail(12));
    await put('k', junkMail(13));
    await put('m', unsureMail, 'Receipts');
    const junk = service();
    const filed = await junk.classifyArrivals(['j']);
    const score = filed.scores.get('j')!;
    expect(score).toBeGreaterThanOrEqual(0.999);
    expect(records.get('j')).toMatchObject({ folder: 'Junk', junkedBy: { by: 'filter', score } });
    // Judged before the rules (file: false), filed after them from that verdict and score.
    const judged = await junk.classifyArrivals(['k'], { file: false });
    await junk.classifyArrivals(['k'], { judged: new Map([['k', 'junk']]), scores: judged.scores });
    expect(records.get('k')).toMatchObject({ folder: 'Junk', junkedBy: { by: 'filter', score: judged.scores.get('k') } });
    await junk.mark(['m'], 'junk');
    expect(records.get('m')).toMatchObject({ folder: 'Junk', junkedBy: { by: 'you' } });
    await junk.mark(['m'], 'ham');
    expect(records.get('m')!.folder).toBe('Receipts');
    expect(records.get('m')!.junkedBy).toBeUndefined();
  });

  it('Undo of Not junk files the message in Junk with the cause it had: the filter and its score, not "you marked this"', async () => {
    await trainOnDisk();
    await put('j', junkMail(14));
    await put('r', junkMail(15), 'Junk');
    records.set('r', { ...records.get('r')!, junkedBy: { by: 'rule', rule: 'Offers' } });
    const score = (await service().classifyArrivals(['j'])).scores.get('j')!;
    expect(records.get('j')).toMatchObject({ folder: 'Junk', junkedBy: { by: 'filter', score } });
    await service().mark(['j', 'r'], 'ham');
    expect([records.get('j'), records.get('r')].map((m) => [m!.folder, m!.junkedBy])).toEqual([['INBOX', undefined], ['INBOX', undefined]]);
    // A new service: the cause is read back from the saved word list (the app restarted meanwhile).
    await service().mark(['j', 'r'], 'junk', { undo: true });
    expect(records.get('j')).toMatchObject({ folder: 'Junk', junkedBy: { by: 'filter', score } });
    expect(records.get('r')).toMatchObject({ folder: 'Junk', junkedBy: { by: 'rule', rule: 'Offers' } });
    // Junk by the person afterwards says so.
    await service().mark(['j'], 'ham');
    await service().mark(['j'], 'junk');
    expect(records.get('j')!.junkedBy).toEqual({ by: 'you' });
  });

  it('files nothing before it has learned both kinds', async () => {
    const list = new WordList();
    for (let i = 0; i < 6; i++) learn(Buffer.from(junkMail(i)), list, 'junk');
    await saveWordList(path.join(dir, 'data'), list);
    await put('j', junkMail(7));
    const junk = service();
    expect((await junk.classifyArrivals(['j'])).skipped).toEqual(['j']);
    expect(moves).toEqual([]);
    // `popbox junk learn` beside the running app: the next arrivals see what it taught.
    await trainOnDisk();
    expect((await junk.classifyArrivals(['j'])).junk).toEqual(['j']);
  });

  it('Junk learns and moves; Not junk takes the lesson back, learns good mail and moves it back where it was', async () => {
    await trainOnDisk();
    await put('m', unsureMail, 'Receipts');
    const junk = service();
    const before = classify(Buffer.from(unsureMail), await loadWordList(path.join(dir, 'data'))).score;
    await junk.mark(['m'], 'junk');
    expect(records.get('m')!.folder).toBe('Junk');
    let saved = await loadWordList(path.join(dir, 'data'));
    expect(saved).toMatchObject({ junkMessages: 7, hamMessages: 6 });
    expect(saved.learned.get('m')).toEqual({ v: 'junk', from: 'Receipts' });
    expect(classify(Buffer.from(unsureMail), saved).score).toBeGreaterThan(before);
    await junk.mark(['m'], 'junk'); // twice counts once
    expect(await loadWordList(path.join(dir, 'data'))).toMatchObject({ junkMessages: 7, hamMessages: 6 });

    await junk.mark(['m'], 'ham');
    expect(records.get('m')!.folder).toBe('Receipts');
    saved = await loadWordList(path.join(dir, 'data'));
    expect(saved).toMatchObject({ junkMessages: 6, hamMessages: 7 });
    expect(saved.learned.get('m')?.v).toBe('ham');
  });

  it('takes a message the person marked Not junk as good mail, even where its words still score as junk', async () => {
    await trainOnDisk();
    await put('j', junkMail(9));
    const junk = service();
    expect((await junk.classifyArrivals(['j'], { file: false })).junk).toEqual(['j']);
    await junk.mark(['j'], 'ham'); // Not junk: one lesson of good mail
    expect(classify(Buffer.from(junkMail(9)), await loadWordList(path.join(dir, 'data'))).verdict).toBe('junk');
    const r = await junk.classifyArrivals(['j']);
    expect(r).toMatchObject({ junk: [], ham: ['j'] });
    expect(records.get('j')!.folder).toBe('INBOX');
  });

  it('undo of Junk removes the lesson and puts the message back', async () => {
    await trainOnDisk();
    await put('m', unsureMail);
    const junk = service();
    await junk.mark(['m'], 'junk');
    await junk.mark(['m'], 'ham', { undo: true });
    expect(records.get('m')!.folder).toBe('INBOX');
    const saved = await loadWordList(path.join(dir, 'data'));
    expect(saved).toMatchObject({ junkMessages: 6, hamMessages: 6 });
    expect(saved.learned.has('m')).toBe(false);
  });

  it('trains from stored folders: Junk as junk, Inbox as good mail, each once', async () => {
    for (let i = 0; i < 3; i++) {
      await put(`j${i}`, junkMail(i), 'Junk');
      await put(`g${i}`, goodMail(i));
    }
    const junk = service();
    expect(await junk.train([...records.values()])).toEqual({ junk: 3, ham: 3 });
    expect(await junk.train([...records.values()])).toEqual({ junk: 0, ham: 0 });
    expect(await loadWordList(path.join(dir, 'data'))).toMatchObject({ junkMessages: 3, hamMessages: 3 });
    expect(await junk.trained()).toBe(true);
  });
});
