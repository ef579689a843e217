/**
 * The rule list in <dataDir>/rules.json: versioned, ordered, replaced atomically (a crash
 * leaves the old list or the new, never half of one). Read on every run, so a change made by
 * `popbox rules add` while the app runs applies at the next arrival.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { RulesFile, type Rule, type RuleInput } from '../../../shared/rules.js';
import { AppFailure } from '../errors.js';
import { storageError, writeFileAtomic } from '../store/durable.js';
import { Turns } from '../turns.js';

export class RuleStore {
  private readonly file: string;
  /** Writes one after another (one key: the one file): two CLI commands adding rules must not lose one. */
  private readonly turns = new Turns();

  /**
   * `check` sees each list about to be written and the list on disk, and throws to refuse it
   * (a forward through an account that cannot send: the words say why).
   */
  constructor(
    dataDir: string,
    private readonly check?: (next: readonly Rule[], before: readonly Rule[]) => void,
  ) {
    this.file = path.join(dataDir, 'rules.json');
  }

  async list(): Promise<Rule[]> {
    let text: string;
    try {
      text = await fs.readFile(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw storageError('cannot read the rules', e);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new AppFailure('storage', `${this.file} is not valid JSON; fix or remove it`);
    }
    const parsed = RulesFile.safeParse(json);
    if (!parsed.success) throw new AppFailure('storage', `${this.file} does not hold rules Popbox can read: ${parsed.error.issues[0]?.message ?? 'unknown problem'}`);
    return parsed.data.rules;
  }

  /** Replace the whole list (validated: bounded, names unique). */
  save(rules: readonly RuleInput[]): Promise<Rule[]> {
    // A list on disk that cannot be read is replaced (as before); every rule then counts as new.
    return this.turns.run('rules', async () => this.write(rules, this.check ? await this.list().catch(() => []) : []));
  }

  /** Change the list as it is on disk now, in this store's turn. */
  update(change: (rules: Rule[]) => RuleInput[]): Promise<Rule[]> {
    return this.turns.run('rules', async () => {
      const before = await this.list();
      return this.write(change(before), before);
    });
  }

  private async write(rules: readonly RuleInput[], before: readonly Rule[]): Promise<Rule[]> {
    const parsed = RulesFile.safeParse({ version: 1, rules });
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new AppFailure('invalid', `the rules were not saved: ${issue ? `${issue.path.join('.')} ${issue.message}`.trim() : 'invalid'}`);
    }
    this.check?.(parsed.data.rules, before);
    try {
      await writeFileAtomic(this.file, `${JSON.stringify(parsed.data, null, 2)}\n`);
    } catch (e) {
      throw storageError('cannot save the rules', e);
    }
    return parsed.data.rules;
  }
}
