/**
 * `popbox rules move NAME --to N` (issue 16 §1's CLI list): rules run in list order, and the
 * person reorders them from the terminal; rules.json holds the new order, `rules list` shows it.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli-bundle.js';

describe('popbox rules move', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-rules-move-'));
    for (const name of ['First', 'Second', 'Third']) {
      expect(await runCli(dataDir, 'rules', 'add', name, '--if', `subject contains ${name.toLowerCase()}`, '--then', 'mark-read')).toMatchObject({ code: 0 });
    }
  });
  afterAll(() => fs.rm(dataDir, { recursive: true, force: true }));

  const order = async () => (JSON.parse(await fs.readFile(path.join(dataDir, 'rules.json'), 'utf8')) as { rules: { name: string }[] }).rules.map((r) => r.name);

  it('puts the rule at the position asked (1 is first, past the end is last), by name in any case', async () => {
    expect(await runCli(dataDir, 'rules', 'move', 'third', '--to', '1')).toMatchObject({ code: 0, stdout: 'moved rule Third to position 1 of 3\n', stderr: '' });
    expect(await order()).toEqual(['Third', 'First', 'Second']);
    expect((await runCli(dataDir, 'rules', 'list')).stdout).toMatch(/^1\. Third: .*\n2\. First: .*\n3\. Second: /);
    expect(await runCli(dataDir, 'rules', 'move', 'Third', '--to', '99')).toMatchObject({ code: 0, stdout: 'moved rule Third to position 3 of 3\n' });
    expect(await order()).toEqual(['First', 'Second', 'Third']);
    await runCli(dataDir, 'rules', 'move', 'First', '--to', '2');
    expect(await order()).toEqual(['Second', 'First', 'Third']);
  });

  it('rules add reads a forward, and refuses it while no account could send it', async () => {
    const r = await runCli(dataDir, 'rules', 'add', 'To phone', '--if', 'subject contains urgent', '--then', 'forward me@phone.example');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('The filter “To phone” forwards mail, but there is no account to send it with yet.');
    expect(await order()).not.toContain('To phone');
  });

  it('says what is wrong and changes nothing: an unknown name, no position, position 0', async () => {
    const before = await order();
    const unknown = await runCli(dataDir, 'rules', 'move', 'Fourth', '--to', '1');
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain('no rule named "Fourth"');
    for (const args of [['First'], ['First', '--to', '0'], ['First', '--to', 'top'], ['--to', '1']]) {
      const r = await runCli(dataDir, 'rules', 'move', ...args);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/rules move (needs --to N|takes exactly one NAME)/);
    }
    expect(await order()).toEqual(before);
  });
});
