/**
 * One plural() for everyone (session-7 duplicates report): the CLI, core's messages and the
 * renderer's words for counts come from shared/plural.ts, and no module keeps a copy of its own.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { plural, pluralWord } from '../../shared/plural.js';

const root = path.resolve(import.meta.dirname, '..', '..');

async function sources(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fs.readdir(path.join(root, dir), { withFileTypes: true })) {
    const rel = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await sources(rel)));
    else if (/\.tsx?$/.test(e.name)) out.push(rel);
  }
  return out;
}

describe('plural', () => {
  it('says a count in words', () => {
    expect(plural(1, 'message')).toBe('1 message');
    expect(plural(0, 'message')).toBe('0 messages');
    expect(plural(3, 'reply', 'replies')).toBe('3 replies');
    expect(pluralWord(2, 'new message')).toBe('new messages');
  });

  it('is written once: no other module defines its own', async () => {
    const copies: string[] = [];
    for (const dir of ['electron', 'shared', 'renderer/src']) {
      for (const file of await sources(dir)) {
        const text = await fs.readFile(path.join(root, file), 'utf8');
        if (/(?:const|function)\s+plural\b/.test(text)) copies.push(file);
      }
    }
    expect(copies).toEqual(['shared/plural.ts']);
  });
});
