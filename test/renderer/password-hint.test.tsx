/**
 * Where a password typed in the settings is kept, as the Password fields say (walkthrough m1:
 * "Stored in your system's keychain" while the app ran with `--secrets memory`). Main says which
 * store it uses (passwordStore); the screen says that place, never the keychain by default.
 */
import { fireEvent, screen, within } from '@testing-library/react';
import { expect, it } from 'vitest';
import type { PasswordStore } from '../../shared/accounts.js';
import type { PopboxApi } from '../../shared/api.js';
import { appPerTest } from './support/app-harness.js';

const t = appPerTest('password-hint');
const POLL = { timeout: 20_000 };

const alice = (source: 'keychain' | 'session') => ({
  name: 'Alice',
  host: '127.0.0.1',
  port: 995,
  security: 'tls' as const,
  user: 'alice',
  checkAtStartup: false,
  password: { source },
  smtp: { host: '127.0.0.1', port: 465, security: 'tls' as const, auth: 'password' as const, user: 'alice', password: { source } },
  identities: [{ name: 'Alice', address: 'alice@example.org' }],
});

/** Alice's settings open; the hints under Password and Outgoing password. */
async function hints(api: PopboxApi): Promise<{ incoming: string; outgoing: string }> {
  t.render(api);
  fireEvent.click(await screen.findByRole('button', { name: 'Account settings' }, POLL));
  const nav = await screen.findByRole('navigation', { name: 'Accounts' }, POLL);
  fireEvent.click(await within(nav).findByRole('button', { name: 'Alice' }, POLL));
  const hintOf = (label: string) => screen.getByLabelText(label).closest('.field')?.querySelector('.hint')?.textContent ?? '';
  // The store's words come with main's answer.
  await screen.findAllByText(/Stored|Saved|Kept|Not saved/, { selector: '.hint' }, POLL);
  return { incoming: hintOf('Password'), outgoing: hintOf('Outgoing password') };
}

const storeSays = (kind: PasswordStore): PopboxApi => ({ ...t.s.api, passwordStore: async () => ({ ok: true, value: { kind } }) }) as PopboxApi;

it('with --secrets memory (the test service keeps passwords in memory): kept in memory until Popbox restarts, not "in your system’s keychain"', async () => {
  await t.s.service.addAccount(alice('keychain'), 'pw', { smtpPassword: 'pw2' });
  const h = await hints(t.s.api);
  expect(h.incoming).toBe('Kept only in memory while Popbox runs (no keychain is in use): type it again after Popbox restarts. Leave empty to keep the current one.');
  expect(h.outgoing).toBe('Kept only in memory while Popbox runs (no keychain is in use): type it again after Popbox restarts. Leave empty to keep the current one.');
  expect(document.body.textContent).not.toContain('keychain.');
});

it('with the keychain: stored in the system’s keychain', async () => {
  await t.s.service.addAccount(alice('keychain'), 'pw', { smtpPassword: 'pw2' });
  const h = await hints(storeSays('keychain'));
  expect(h.incoming).toBe('Stored in your system’s keychain. Leave empty to keep the current one.');
  expect(h.outgoing).toBe('Stored in your system’s keychain. Leave empty to keep the current one.');
});

it('with safeStorage’s file (no keychain answered): stored encrypted in Popbox’s data folder', async () => {
  await t.s.service.addAccount(alice('keychain'), 'pw', { smtpPassword: 'pw2' });
  const h = await hints(storeSays('encrypted-file'));
  expect(h.incoming).toBe('Stored encrypted in Popbox’s data folder (no system keychain answered). Leave empty to keep the current one.');
});

it('with safeStorage’s basic_text file (a fixed key, no keyring answered): saved in a file anyone who can read your files can read, not "encrypted"', async () => {
  await t.s.service.addAccount(alice('keychain'), 'pw', { smtpPassword: 'pw2' });
  const h = await hints(storeSays('fixed-key-file'));
  const words = 'Saved in a file in Popbox’s data folder, not protected by a keychain (none answered): anyone who can read your files can read it.';
  expect(h.incoming).toBe(`${words} Leave empty to keep the current one.`);
  expect(h.outgoing).toBe(`${words} Leave empty to keep the current one.`);
  expect(document.body.textContent).not.toContain('Stored encrypted');
});

it('an account whose passwords are kept for this session only says so under both fields, whatever the store', async () => {
  await t.s.service.addAccount(alice('session'), 'pw', { smtpPassword: 'pw2' });
  const h = await hints(storeSays('keychain'));
  expect(h.incoming).toBe('Not saved on this computer: Popbox keeps it only while it runs and asks for it again after each start.');
  // It said "Stored in your system’s keychain." here.
  expect(h.outgoing).toBe('Not saved on this computer: Popbox keeps it only while it runs and asks for it again after each start. Leave empty to keep the current one.');
});
