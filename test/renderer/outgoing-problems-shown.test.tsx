/**
 * Add account, "Send mail from this account" (walkthrough m4): ticking it showed a red "Enter the
 * outgoing server's host name" before anything was typed. A field's problem now shows once the field
 * was left or Save/Test was tried; what is typed is still checked as typed.
 */
import { act, fireEvent, screen, within } from '@testing-library/react';
import { beforeAll, describe, expect, it } from 'vitest';
import type { PopboxApi } from '../../shared/api.js';
import { appPerTest } from './support/app-harness.js';

const t = appPerTest('outgoing-shown');

beforeAll(() => {
  // jsdom has no scrolling: the test result brings itself into view in a real window.
  Element.prototype.scrollIntoView ??= () => {};
});

const HOST_EMPTY = 'Enter the outgoing server’s host name, e.g. smtp.example.com.';
const PORT_EMPTY = 'Enter a port number from 1 to 65535 (465 for SSL/TLS, 587 for STARTTLS).';

describe('Add account: the outgoing server’s problems', () => {
  it('none on ticking "Send mail"; the host’s once it is left, the rest when the test is pressed; a bad name as typed', async () => {
    t.render({ ...t.s.api } as PopboxApi);
    const page = within(await screen.findByRole('region', { name: 'Add account' }));
    await act(async () => fireEvent.change(page.getByLabelText('Email address'), { target: { value: 'ann@localhost' } }));
    await act(async () => fireEvent.click(page.getByRole('button', { name: 'Set up manually' })));
    const out = within(page.getByRole('group', { name: 'Outgoing server (SMTP)' }));
    await act(async () => fireEvent.click(out.getByLabelText('Send mail from this account')));
    const host = out.getByLabelText('Outgoing server');
    await act(async () => fireEvent.change(out.getByLabelText('Outgoing port'), { target: { value: '' } }));
    expect(out.queryByText(HOST_EMPTY)).toBeNull();
    expect(out.queryByText(PORT_EMPTY)).toBeNull();
    expect(host.getAttribute('aria-invalid')).toBeNull();

    await act(async () => fireEvent.blur(host));
    expect(out.getByText(HOST_EMPTY)).toBeTruthy();
    expect(host.getAttribute('aria-invalid')).toBe('true');
    expect(out.queryByText(PORT_EMPTY)).toBeNull();

    await act(async () => fireEvent.change(host, { target: { value: 'smtp example' } }));
    expect(out.getByText('Enter a host name or an IP address, without spaces.')).toBeTruthy();

    await act(async () => fireEvent.click(out.getByRole('button', { name: 'Test outgoing server' })));
    expect(out.getByText(PORT_EMPTY)).toBeTruthy();
  });
});

describe('Account settings: the outgoing server’s problems', () => {
  it('a Save with sending off does not make the fields wrong before they are typed in: ticking "Send mail" after it shows no red line; a Save with it on does', async () => {
    await t.s.service.addAccount({ name: 'Bob', host: '127.0.0.1', port: 995, security: 'tls', user: 'bob', checkAtStartup: false, password: { source: 'keychain' } }, 'pw');
    t.render({ ...t.s.api } as PopboxApi);
    fireEvent.click(await screen.findByRole('button', { name: 'Account settings' }));
    fireEvent.click(await within(await screen.findByRole('navigation', { name: 'Accounts' })).findByRole('button', { name: 'Bob' }));
    const out = within(await screen.findByRole('group', { name: 'Outgoing server (SMTP)' }));
    // Saved once with sending off (any change: here none).
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Save' })));
    await screen.findByText('Settings saved.');
    await act(async () => fireEvent.click(out.getByLabelText('Send mail from this account')));
    expect(out.queryByText(HOST_EMPTY)).toBeNull();
    expect(out.getByLabelText('Outgoing server').getAttribute('aria-invalid')).toBeNull();
    // Save with it on and the host empty: now it is wrong, and said.
    await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Save' })));
    expect(out.getByText(HOST_EMPTY)).toBeTruthy();
  });
});
