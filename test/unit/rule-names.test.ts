/**
 * A filter's name is taken when another differs from it only in case or in spaces around it. Three
 * places refuse a taken name: `popbox rules add`/`set` (with words that say how to fix it), the
 * schema of rules.json (RuleList: a list it refuses could not be read back) and the Filters
 * screen's form. All three ask shared/rules.ts `sameRuleName`, so none lets through a name another
 * refuses; here each is asked about the same pairs.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../electron/cli/run.js';
import { nameProblem } from '../../renderer/src/features/rules/form.js';
import { RuleList, sameRuleName, type RuleInput } from '../../shared/rules.js';

/** [first, second, taken?]: the second name is taken by the first. */
const PAIRS: [string, string, boolean][] = [
  ['Receipts', 'Receipts', true],
  ['Receipts', 'RECEIPTS', true],
  ['Receipts', '  receipts ', true],
  ['Ärger', 'ärger', true],
  ['Receipts', 'Receipt', false],
  ['Receipts', 'Receipts 2', false],
  // Turkish dotted capital I lowercases to "i" and a combining dot: another name, for all three.
  ['İstanbul', 'istanbul', false],
];

const rule = (name: string): RuleInput => ({ name, match: 'all', conditions: [{ field: 'subject', op: 'contains', value: 'x' }], actions: [{ t: 'flag' }] });

let dataDir: string;
beforeAll(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-rule-names-'));
});
afterAll(async () => {
  await fs.rm(dataDir, { recursive: true, force: true });
});

async function cli(...args: string[]): Promise<{ code: number; err: string }> {
  const err: string[] = [];
  const io = { out: () => {}, err: (t: string) => void err.push(t), columns: 100, stdin: () => undefined };
  const code = await runCli(['--data-dir', dataDir, ...args], io);
  return { code, err: err.join('') };
}

describe('a taken filter name', () => {
  it.each(PAIRS)('%j then %j: taken %s, for sameRuleName, the schema and the form alike', (first, second, taken) => {
    expect(sameRuleName(first, second)).toBe(taken);
    expect(RuleList.safeParse([rule(first), rule(second)]).success).toBe(!taken);
    expect(nameProblem(second, [first]) !== null).toBe(taken);
  });

  it('the CLI refuses the same names, and says how to fix it', async () => {
    for (const [i, [first, second, taken]] of PAIRS.entries()) {
      await fs.rm(path.join(dataDir, 'rules.json'), { force: true });
      expect((await cli('rules', 'add', first, '--if', 'subject contains x', '--then', 'flag')).code).toBe(0);
      const add = await cli('rules', 'add', second, '--if', 'subject contains x', '--then', 'flag');
      expect([i, add.code]).toEqual([i, taken ? 2 : 0]);
      if (taken) expect(add.err).toContain(`there is already a rule named ${JSON.stringify(second.trim())}: remove it first or choose another name`);
    }
  });
});
