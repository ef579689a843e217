/**
 * The preferences file (core/preferences.ts) when saves come faster than the disk: Settings ›
 * General saves each choice at once (five Theme choices in a row, a box ticked while the Theme
 * is saved), and each waits for its file. Every save applies to the one before it, in the order
 * asked, so none is lost and the last choice is what main keeps, in memory and on disk.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { PreferencesStore } from '../../electron/core/preferences.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await fs.rm(d, { recursive: true, force: true });
});
const open = async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-prefs-'));
  dirs.push(dir);
  return { dir, store: await PreferencesStore.open(dir) };
};

it('two saves of different choices at once: both kept, in memory and in the file', async () => {
  const { dir, store } = await open();
  await Promise.all([store.update({ deleteJunkAfterDays: 30 }), store.update({ theme: 'dark' })]);
  expect(store.get()).toMatchObject({ deleteJunkAfterDays: 30, theme: 'dark' });
  expect((await PreferencesStore.open(dir)).get()).toMatchObject({ deleteJunkAfterDays: 30, theme: 'dark' });
});

it('quick choices of one setting: the last is kept, and each save answers with the state after it', async () => {
  const { dir, store } = await open();
  const choices = ['dark', 'light', 'system', 'light', 'system'] as const;
  const answers = await Promise.all(choices.map((theme) => store.update({ theme })));
  expect(answers.map((p) => p.theme)).toEqual([...choices]);
  expect(store.get().theme).toBe('system');
  expect((await PreferencesStore.open(dir)).get().theme).toBe('system');
});
