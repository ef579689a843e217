/** App-wide choices kept by main: background checking, start at login, notifications, the theme. */
import { useEffect, useMemo, useRef, useState } from 'react';
import type { Preferences, Theme } from '../../../../shared/preferences.js';
import { call } from '../../api/client.js';
import { useServices } from '../../app/context.js';
import { loadPlainFixed, savePlainFixed } from '../../app/reading-settings.js';
import { askPreferences, choosePreferences, savingPreferences } from '../../app/preference-answers.js';
import { applyTheme, chooseTheme } from '../../app/theme.js';
import { Check } from './fields.js';
import { plainError } from './plain-error.js';

const DAY_CHOICES: readonly [number, string][] = [
  [0, 'never'],
  [7, 'after 7 days'],
  [30, 'after 30 days'],
  [90, 'after 90 days'],
  [365, 'after a year'],
];

const THEME_CHOICES: readonly [Theme, string][] = [
  ['system', 'System'],
  ['light', 'Light'],
  ['dark', 'Dark'],
];

export function GeneralSettings() {
  const { api } = useServices();
  const [prefs, setPrefs] = useState<Preferences | null>(null);
  const [error, setError] = useState<string | null>(null);
  // Whether the page shows anything yet (its first answer is taken whatever is being saved).
  const shown = useRef(false);
  // Main's state, shown unless a newer question was asked, or a change was made since or is still
  // being saved (an echo is a cue to ask main: preference-answers.ts).
  const ask = useMemo(
    () =>
      askPreferences({
        api,
        show: (p) => {
          shown.current = true;
          setPrefs(p);
          // A page's first answer may come while a choice is being saved: that choice stays shown.
          if (!savingPreferences()) applyTheme(p.theme);
        },
        showsNothing: () => !shown.current,
      }),
    [api],
  );
  useEffect(() => {
    ask((e) => setError(plainError(e)));
    // A change made elsewhere (another window, the reading pane's "always allow") shows here too.
    return api.on('preferencesChanged', () => ask());
  }, [api, ask]);
  const change = async (
    patch: Partial<Pick<Preferences, 'runInBackground' | 'startAtLogin' | 'notifyNewMail' | 'emptyTrashAfterDays' | 'deleteJunkAfterDays' | 'junkFilter' | 'theme'>> & { disallowRemoteContentFrom?: string },
  ) => {
    // Shown at once, not after main's answer (the select or box would jump back until then).
    const { disallowRemoteContentFrom: blocked, ...shownPatch } = patch;
    setPrefs((p) => p && { ...p, ...shownPatch, ...(blocked ? { remoteContentSenders: p.remoteContentSenders.filter((s) => s !== blocked) } : {}) });
    const save = () => call(api, 'updatePreferences', patch);
    try {
      await (patch.theme ? chooseTheme(patch.theme, save) : choosePreferences(save));
      setError(null);
    } catch (e) {
      setError(plainError(e));
    } finally {
      // The answers come in any order (each save waits for its file): once all are in, main's state.
      if (!savingPreferences()) ask();
    }
  };
  return (
    <section className="settings-page" aria-label="General">
      <h2>General</h2>
      {prefs && (
        <fieldset>
          <legend>Popbox on this computer</legend>
          <Check label="Keep checking mail in the tray when the window is closed" checked={prefs.runInBackground} onChange={(v) => void change({ runInBackground: v })} />
          <Check label="Start Popbox when I log in" checked={prefs.startAtLogin} onChange={(v) => void change({ startAtLogin: v })} />
          <Check label="Show a notification when new mail arrives" checked={prefs.notifyNewMail} onChange={(v) => void change({ notifyNewMail: v })} />
        </fieldset>
      )}
      {prefs && (
        <fieldset>
          <legend>Appearance</legend>
          <label>
            Theme{' '}
            <select
              value={prefs.theme}
              onChange={(e) => {
                const theme = e.target.value as Theme;
                // At once, not after main's answer: the window changes as the choice is made.
                void change({ theme });
              }}
            >
              {THEME_CHOICES.map(([theme, text]) => (
                <option key={theme} value={theme}>
                  {text}
                </option>
              ))}
            </select>
          </label>
        </fieldset>
      )}
      <ReadingSettings />
      {prefs && (
        <fieldset>
          <legend>Trash and Junk</legend>
          <DaysChoice label="Empty Trash automatically" value={prefs.emptyTrashAfterDays} onChange={(days) => void change({ emptyTrashAfterDays: days })} />
          <p className="muted">Messages that have been in Trash that long are deleted for good when Popbox next checks for mail; an account set to delete on the server what you delete here does so then.</p>
          <DaysChoice label="Delete junk automatically" value={prefs.deleteJunkAfterDays} onChange={(days) => void change({ deleteJunkAfterDays: days })} />
          <p className="muted">Messages that have been in Junk that long (counted from when they were filed there) are deleted for good the same way.</p>
        </fieldset>
      )}
      {prefs && <JunkSettings on={prefs.junkFilter} onChange={(v) => void change({ junkFilter: v })} />}
      {prefs && prefs.remoteContentSenders.length > 0 && (
        <fieldset>
          <legend>Remote content allowed for</legend>
          <ul className="plain-list">
            {prefs.remoteContentSenders.map((s) => (
              <li key={s}>
                {s}{' '}
                <button type="button" onClick={() => void change({ disallowRemoteContentFrom: s })} aria-label={`Block remote content from ${s} again`}>
                  Remove
                </button>
              </li>
            ))}
          </ul>
        </fieldset>
      )}
      {error && <p role="alert">{error}</p>}
    </section>
  );
}

/** How mail reads in this window (kept in this window's storage, not by main). */
function ReadingSettings() {
  const [fixed, setFixed] = useState(loadPlainFixed);
  return (
    <fieldset>
      <legend>Reading</legend>
      <Check
        label="Fixed-width font for plain text"
        checked={fixed}
        onChange={(v) => {
          savePlainFixed(v);
          setFixed(v);
        }}
      />
      <p className="muted">Plain-text mail otherwise reads in the same font as the rest of Popbox, its line breaks and spaces kept and long lines wrapped.</p>
    </fieldset>
  );
}

/** "Never" or after a number of days (one set by the CLI that is not offered is shown as it is). */
function DaysChoice({ label, value, onChange }: { label: string; value: number; onChange: (days: number) => void }) {
  return (
    <label>
      {label}{' '}
      <select value={String(value)} onChange={(e) => onChange(Number(e.target.value))}>
        {DAY_CHOICES.map(([days, text]) => (
          <option key={days} value={days}>
            {text}
          </option>
        ))}
        {!DAY_CHOICES.some(([d]) => d === value) && <option value={value}>after {value} days</option>}
      </select>
    </label>
  );
}

/** The junk filter: filing new junk on or off, and "Train from existing mail" with its count when done. */
function JunkSettings({ on, onChange }: { on: boolean; onChange: (v: boolean) => void }) {
  const { api } = useServices();
  const [training, setTraining] = useState<'idle' | 'busy' | string>('idle');
  const train = async () => {
    setTraining('busy');
    try {
      const r = await call(api, 'trainJunk', {});
      setTraining(`Learned ${r.junk.toLocaleString()} junk and ${r.ham.toLocaleString()} good messages.`);
    } catch (e) {
      setTraining(`Training failed: ${plainError(e)}`);
    }
  };
  return (
    <fieldset>
      <legend>Junk</legend>
      <Check label="Move new mail the junk filter calls junk to the Junk folder" checked={on} onChange={onChange} />
      <p className="muted">The filter learns from your Junk and Not junk (key !). Mail from people you have written to is never junk.</p>
      <button type="button" disabled={training === 'busy'} onClick={() => void train()}>
        {training === 'busy' ? 'Training…' : 'Train from existing mail'}
      </button>
      {training !== 'idle' && training !== 'busy' && <p role="status">{training}</p>}
    </fieldset>
  );
}
