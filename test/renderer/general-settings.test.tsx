/**
 * Settings › General in jsdom over a real MailService.
 * - "Delete junk automatically" beside "Empty Trash automatically" saves the preference main acts
 *   on at each check for mail, and a number of days set elsewhere (the CLI) is shown as it is.
 * - Reading (walkthrough finding): plain-text mail reads in the reading font by default;
 *   "Fixed-width font for plain text" brings the typewriter font back at once, and is remembered
 *   by the window (localStorage) across a restart. What font the page really uses is checked in
 *   Chromium (renderer-walkthrough.test.ts): jsdom has no stylesheet cascade.
 */
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ServicesContext, type AppServices } from '../../renderer/src/app/context.js';
import { applyPlainFixed, loadPlainFixed } from '../../renderer/src/app/reading-settings.js';
import { applyTheme, followTheme } from '../../renderer/src/app/theme.js';
import { GeneralSettings } from '../../renderer/src/features/accounts/GeneralSettings.js';
import { serviceApi, type ServiceApi } from './service-api.js';

let s: ServiceApi;
beforeEach(async () => {
  s = await serviceApi();
});
afterEach(async () => {
  cleanup();
  await s.close();
});

const mount = () =>
  render(
    // The page uses only the API: the read model and its database stay out of this test.
    <ServicesContext.Provider value={{ api: s.api } as AppServices}>
      <GeneralSettings />
    </ServicesContext.Provider>,
  );

describe('Settings › General: delete junk after N days', () => {
  it('is off by default, next to Empty Trash, and saves the choice in main', async () => {
    mount();
    const junk = (await screen.findByRole('combobox', { name: 'Delete junk automatically' })) as HTMLSelectElement;
    const trash = screen.getByRole('combobox', { name: 'Empty Trash automatically' }) as HTMLSelectElement;
    expect(junk.closest('fieldset')).toBe(trash.closest('fieldset'));
    expect(junk.selectedOptions[0]!.textContent).toBe('never');
    fireEvent.change(junk, { target: { value: '30' } });
    await waitFor(() => expect(s.service.preferences().deleteJunkAfterDays).toBe(30));
    expect(junk.selectedOptions[0]!.textContent).toBe('after 30 days');
    // Emptying Trash is a separate choice: untouched.
    expect(s.service.preferences().emptyTrashAfterDays).toBe(0);
    fireEvent.change(junk, { target: { value: '0' } });
    await waitFor(() => expect(s.service.preferences().deleteJunkAfterDays).toBe(0));
  });

  it('shows a number of days set by the CLI that the list does not offer', async () => {
    await s.service.updatePreferences({ deleteJunkAfterDays: 45 });
    mount();
    const junk = (await screen.findByRole('combobox', { name: 'Delete junk automatically' })) as HTMLSelectElement;
    expect(junk.selectedOptions[0]!.textContent).toBe('after 45 days');
  });
});

describe('Settings › General opened while a choice is still being saved (review of 2c546df)', () => {
  it('shows main\'s preferences, though no echo may come to fill it (a save that fails sends none)', async () => {
    const root = document.documentElement;
    // A choice made on the page before (closed since) is still on its way to main, and may fail.
    root.dataset.prefsSaving = '1';
    root.dataset.prefsChosen = '1';
    try {
      await s.service.updatePreferences({ deleteJunkAfterDays: 45 });
      mount();
      const junk = (await screen.findByRole('combobox', { name: 'Delete junk automatically' })) as HTMLSelectElement;
      expect(junk.selectedOptions[0]!.textContent).toBe('after 45 days');
    } finally {
      delete root.dataset.prefsSaving;
      delete root.dataset.prefsChosen;
    }
  });
});

describe('Settings › General: remote content allowed for', () => {
  it('Remove blocks a sender again: gone from the list at once, and from main\'s preferences', async () => {
    await s.service.updatePreferences({ allowRemoteContentFrom: 'news@example.com' });
    await s.service.updatePreferences({ allowRemoteContentFrom: 'shop@example.org' });
    mount();
    fireEvent.click(await screen.findByRole('button', { name: 'Block remote content from news@example.com again' }));
    expect(screen.queryByRole('button', { name: 'Block remote content from news@example.com again' })).toBeNull();
    await waitFor(() => expect(s.service.preferences().remoteContentSenders).toEqual(['shop@example.org']));
    expect(screen.getByRole('button', { name: 'Block remote content from shop@example.org again' })).toBeTruthy();
  });
});

describe('Settings › General › Reading: fixed-width font for plain text', () => {
  beforeEach(() => {
    localStorage.clear();
    applyPlainFixed(false);
  });

  it('is off by default; on, the page switches at once and the choice outlives the window', () => {
    mount();
    const box = screen.getByRole('checkbox', { name: 'Fixed-width font for plain text' }) as HTMLInputElement;
    expect(box.closest('fieldset')?.querySelector('legend')?.textContent).toBe('Reading');
    expect(box.checked).toBe(false);
    expect(document.documentElement.classList.contains('plain-fixed')).toBe(false);
    fireEvent.click(box);
    expect(box.checked).toBe(true);
    expect(document.documentElement.classList.contains('plain-fixed')).toBe(true);
    // A restart: a new page reads the stored choice before anything is shown.
    cleanup();
    document.documentElement.classList.remove('plain-fixed');
    expect(loadPlainFixed()).toBe(true);
    mount();
    expect((screen.getByRole('checkbox', { name: 'Fixed-width font for plain text' }) as HTMLInputElement).checked).toBe(true);
    fireEvent.click(screen.getByRole('checkbox', { name: 'Fixed-width font for plain text' }));
    expect(loadPlainFixed()).toBe(false);
    expect(document.documentElement.classList.contains('plain-fixed')).toBe(false);
  });
});

describe('Settings › General › Appearance: Theme (walkthrough m11: dark mode followed the system only)', () => {
  afterEach(() => applyTheme('system'));

  it('is System by default; Dark and Light apply at once and are kept by main (not by the window), System follows the system again', async () => {
    localStorage.clear();
    mount();
    const theme = (await screen.findByRole('combobox', { name: 'Theme' })) as HTMLSelectElement;
    expect(theme.closest('fieldset')?.querySelector('legend')?.textContent).toBe('Appearance');
    expect([...theme.options].map((o) => o.textContent)).toEqual(['System', 'Light', 'Dark']);
    expect(theme.selectedOptions[0]!.textContent).toBe('System');
    expect(document.documentElement.dataset.theme).toBeUndefined();
    fireEvent.change(theme, { target: { value: 'dark' } });
    // At once, before main has answered.
    expect(document.documentElement.dataset.theme).toBe('dark');
    await waitFor(() => expect(s.service.preferences().theme).toBe('dark'));
    expect(localStorage.length).toBe(0);
    fireEvent.change(theme, { target: { value: 'light' } });
    expect(document.documentElement.dataset.theme).toBe('light');
    await waitFor(() => expect(s.service.preferences().theme).toBe('light'));
    fireEvent.change(theme, { target: { value: 'system' } });
    expect(document.documentElement.dataset.theme).toBeUndefined();
    await waitFor(() => expect(s.service.preferences().theme).toBe('system'));
  });

  it('choices made quickly one after another: main\'s answers to the earlier ones never turn the window back (CI saw Light\'s echo undo System)', async () => {
    localStorage.clear();
    const off = followTheme(s.api);
    const seen: (string | undefined)[] = [];
    const watch = new MutationObserver(() => seen.push(document.documentElement.dataset.theme));
    try {
      mount();
      const theme = (await screen.findByRole('combobox', { name: 'Theme' })) as HTMLSelectElement;
      watch.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] });
      for (const [choice, shown] of [['dark', 'dark'], ['light', 'light'], ['system', undefined], ['light', 'light'], ['system', undefined]] as const) {
        fireEvent.change(theme, { target: { value: choice } });
        expect(document.documentElement.dataset.theme).toBe(shown);
        expect(theme.value).toBe(choice);
        // Main answers and echoes each before the next choice is made, as over a slow link.
        await new Promise((r) => setTimeout(r, 0));
      }
      await waitFor(() => expect(s.service.preferences().theme).toBe('system'));
      await waitFor(() => expect(document.documentElement.dataset.prefsSaving).toBeUndefined());
      await new Promise((r) => setTimeout(r, 50));
      expect(document.documentElement.dataset.theme).toBeUndefined();
      expect(theme.value).toBe('system');
      expect(seen).toEqual(['dark', 'light', undefined, 'light', undefined]);
    } finally {
      watch.disconnect();
      off();
    }
  });

  it('a new window takes the theme main keeps, and follows a change made elsewhere', async () => {
    await s.service.updatePreferences({ theme: 'dark' });
    const off = followTheme(s.api);
    try {
      await waitFor(() => expect(document.documentElement.dataset.theme).toBe('dark'));
      // Another window (or the CLI) chose Light.
      await s.service.updatePreferences({ theme: 'light' });
      await waitFor(() => expect(document.documentElement.dataset.theme).toBe('light'));
    } finally {
      off();
    }
  });
});
