/**
 * Settings › General › Reading (walkthrough finding): plain-text mail reads in the reading font
 * by default; "Fixed-width font for plain text" brings the typewriter font back at once, and is
 * remembered by the window (localStorage) across a restart. What font the page really uses is
 * checked in Chromium (renderer-walkthrough.test.ts): jsdom has no stylesheet cascade.
 */
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ServicesContext, type AppServices } from '../../renderer/src/app/context.js';
import { applyPlainFixed, loadPlainFixed } from '../../renderer/src/app/reading-settings.js';
import { GeneralSettings } from '../../renderer/src/features/accounts/GeneralSettings.js';
import { serviceApi, type ServiceApi } from './service-api.js';

describe('Settings › General › Reading: fixed-width font for plain text', () => {
  let s: ServiceApi;
  beforeEach(async () => {
    s = await serviceApi();
    localStorage.clear();
    applyPlainFixed(false);
  });
  afterEach(async () => {
    cleanup();
    await s.close();
  });

  const mount = () =>
    render(
      <ServicesContext.Provider value={{ api: s.api } as AppServices}>
        <GeneralSettings />
      </ServicesContext.Provider>,
    );

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
