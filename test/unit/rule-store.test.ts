/**
 * RuleStore writes rules.json one change after another (core/turns.ts, one key): changes asked at
 * once (two CLI commands adding rules, the screen saving meanwhile) each see the list the one before
 * left, so none is lost; a change refused or failing leaves the file as it was and the next runs.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { AppFailure } from '../../electron/core/errors.js';
import { RuleStore } from '../../electron/core/rules/rule-store.js';
import type { RuleInput } from '../../shared/rules.js';

let dataDir: string;
beforeEach(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-rule-store-'));
});
afterEach(async () => {
  await fs.rm(dataDir, { recursive: true, force: true });
});

const rule = (name: string): RuleInput => ({ name, match: 'all', conditions: [{ field: 'subject', op: 'contains', value: name }], actions: [{ t: 'flag' }] });
const onDisk = async () => (JSON.parse(await fs.readFile(path.join(dataDir, 'rules.json'), 'utf8')) as { rules: { name: string }[] }).rules.map((r) => r.name);

it('changes asked at once are made one after another, in the order asked: none is lost', async () => {
  const store = new RuleStore(dataDir);
  const names = Array.from({ length: 20 }, (_, i) => `r${i}`);
  await Promise.all([store.save([rule('first')]), ...names.map((n) => store.update((rules) => [...rules, rule(n)]))]);
  expect(await onDisk()).toEqual(['first', ...names]);
});

it('a change refused, or failing, leaves the file as it was; the changes after it still run', async () => {
  const store = new RuleStore(dataDir, (next) => {
    if (next.some((r) => r.name === 'refused')) throw new AppFailure('invalid', 'refused by the check');
  });
  await store.save([rule('a')]);
  const results = await Promise.allSettled([
    store.update((rules) => [...rules, rule('refused')]),
    store.update(() => {
      throw new Error('the change failed');
    }),
    store.update((rules) => [...rules, rule('A')]), // the schema refuses a taken name
    store.update((rules) => [...rules, rule('b')]),
  ]);
  expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected', 'fulfilled']);
  expect(await onDisk()).toEqual(['a', 'b']);
});
