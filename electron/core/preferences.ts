/** App preferences on disk (preferences.json, replaced atomically), validated on load. */
import fs from 'node:fs/promises';
import path from 'node:path';
import { Preferences, type PreferencesPatch } from '../../shared/preferences.js';
import { describeZodError, AppFailure } from './errors.js';
import { storageError, writeFileAtomic } from './store/durable.js';

export class PreferencesStore {
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

  async update(patch: PreferencesPatch): Promise<Preferences> {
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
    });
    await writeFileAtomic(this.file, JSON.stringify(next, null, 2) + '\n');
    this.value = next;
    return this.get();
  }
}
