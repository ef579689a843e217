/** App preferences on disk (preferences.json, replaced atomically), validated on load. */
import fs from 'node:fs/promises';
import path from 'node:path';
import { Preferences, type PreferencesPatch } from '../../shared/preferences.js';
import { describeZodError, AppFailure } from './errors.js';
import { storageError, writeFileAtomic } from './store/durable.js';

export class PreferencesStore {
  /** The save under way: saves run one after another (update). */
  private saving: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly file: string,
    private value: Preferences,
  ) {}

  static async open(dataDir: string): Promise<PreferencesStore> {
    const file = path.join(dataDir, 'preferences.json');
    let text: string | null = null;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw storageError(`cannot read ${file}`, e);
    }
    if (text === null) return new PreferencesStore(file, Preferences.parse({}));
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new AppFailure('storage', `${file} is not valid JSON; fix or remove it`);
    }
    const parsed = Preferences.safeParse(json);
    if (!parsed.success) throw new AppFailure('storage', `${file}: ${describeZodError(parsed.error)}`);
    return new PreferencesStore(file, parsed.data);
  }

  get(): Preferences {
    return structuredClone(this.value);
  }

  /**
   * Saves run in the order asked, each on the state the one before left: at once (a save waits for
   * its file) each made its own from the state before any of them and the last to reach the disk
   * won, so a choice was lost, and quick Theme choices could end on an earlier one.
   */
  update(patch: PreferencesPatch): Promise<Preferences> {
    const run = this.saving.then(() => this.save(patch));
    this.saving = run.catch(() => {});
    return run;
  }

  private async save(patch: PreferencesPatch): Promise<Preferences> {
    if (patch.savedSearches) refuseDuplicateNames(patch.savedSearches);
    const senders = new Set(this.value.remoteContentSenders);
    if (patch.allowRemoteContentFrom) senders.add(patch.allowRemoteContentFrom);
    if (patch.disallowRemoteContentFrom) senders.delete(patch.disallowRemoteContentFrom);
    const next = Preferences.parse({
      ...this.value,
      remoteContentSenders: [...senders].sort(),
      ...(patch.runInBackground !== undefined ? { runInBackground: patch.runInBackground } : {}),
      ...(patch.startAtLogin !== undefined ? { startAtLogin: patch.startAtLogin } : {}),
      ...(patch.notifyNewMail !== undefined ? { notifyNewMail: patch.notifyNewMail } : {}),
      ...(patch.emptyTrashAfterDays !== undefined ? { emptyTrashAfterDays: patch.emptyTrashAfterDays } : {}),
      ...(patch.junkFilter !== undefined ? { junkFilter: patch.junkFilter } : {}),
      ...(patch.deleteJunkAfterDays !== undefined ? { deleteJunkAfterDays: patch.deleteJunkAfterDays } : {}),
      ...(patch.savedSearches !== undefined ? { savedSearches: patch.savedSearches } : {}),
      ...(patch.theme !== undefined ? { theme: patch.theme } : {}),
    });
    await writeFileAtomic(this.file, JSON.stringify(next, null, 2) + '\n');
    this.value = next;
    return this.get();
  }
}

/** Saved searches are told apart by name in the sidebar: two of one name (case aside) are refused in plain words. */
function refuseDuplicateNames(list: readonly { id: string; name: string }[]): void {
  const seen = new Map<string, string>();
  for (const s of list) {
    const key = s.name.trim().toLowerCase();
    const before = seen.get(key);
    if (before !== undefined) throw new AppFailure('invalid', `There is already a saved search called “${before}”. Choose another name.`);
    seen.set(key, s.name.trim());
  }
  if (new Set(list.map((s) => s.id)).size !== list.length) throw new AppFailure('invalid', 'Two saved searches have the same id.');
}
