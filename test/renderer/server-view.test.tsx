/**
 * The On the server view in jsdom, against a mailbox the test holds (a fake of main's three
 * calls and its change hint): what each row says, the header's size and age, ticking and the
 * three actions (a "no" to main's question leaves everything), the keys, errors in plain words,
 * the filters, a long listing virtualized, and the account setting beside it.
 */
import { act, cleanup, fireEvent, render, renderHook, screen, within } from '@testing-library/react';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { CLOSING_MESSAGE } from '../../shared/error-codes.js';
import type { ServerDeleteResult, ServerDownloadResult, ServerListing, ServerMessage } from '../../shared/server-view.js';
import { ApiError } from '../../renderer/src/api/client.js';
import { ShortcutsHelp } from '../../renderer/src/app/ShortcutsHelp.js';
import { DEFAULT_POLICY, PolicyFields, policyValues } from '../../renderer/src/features/accounts/fields.js';
import { ServerView } from '../../renderer/src/features/server/ServerView.js';
import { actionState, badgesOf, deletedText, listedText } from '../../renderer/src/features/server/server-text.js';
import type { ServerSource } from '../../renderer/src/features/server/source.js';
import { useServerPane } from '../../renderer/src/features/server/useServerPane.js';
import type { PopboxApi } from '../../renderer/src/api/client.js';

beforeAll(() => {
  Object.defineProperty(HTMLElement.prototype, 'clientHeight', { configurable: true, get: () => 800 });
  Object.defineProperty(HTMLElement.prototype, 'clientWidth', { configurable: true, get: () => 600 });
  Object.defineProperty(HTMLElement.prototype, 'offsetHeight', { configurable: true, get: () => 800 });
});
afterEach(cleanup);

let n = 0;
function msg(over: Partial<ServerMessage> = {}): ServerMessage {
  n++;
  return { uidl: `u${n}`, size: 2048, from: `Sender ${n}`, subject: `Subject ${n}`, date: new Date(Date.UTC(2026, 10, n % 28 || 1, 10)).toISOString(), headersKnown: true, local: 'not-downloaded', localId: null, pendingDeletion: null, junk: null, heldAsJunk: false, ...over };
}

function listingOf(messages: ServerMessage[], over: Partial<ServerListing> = {}): ServerListing {
  return { accountId: 'acc1', listedAt: Date.now() - 2 * 60_000, messageCount: messages.length, mailboxBytes: messages.reduce((s, m) => s + m.size, 0), messages, truncated: false, headersPending: 0, ...over };
}

/** A mailbox main would answer for: the listing, deletions that take rows away, a change hint. */
function fakeServer(first: ServerListing) {
  let current = first;
  const listeners = new Set<(id: string) => void>();
  const calls: { listing: boolean[]; remove: string[][]; download: [string[], boolean][] } = { listing: [], remove: [], download: [] };
  let removeAnswer: (uidls: string[]) => Promise<ServerDeleteResult> = async (uidls) => ({ deleted: uidls.length, gone: 0 });
  let listingAnswer: (refresh: boolean) => Promise<ServerListing> = async () => current;
  const source: ServerSource = {
    listing: (_id, refresh) => (calls.listing.push(refresh), listingAnswer(refresh)),
    remove: async (_id, uidls) => {
      calls.remove.push(uidls);
      const r = await removeAnswer(uidls);
      current = { ...current, messages: current.messages.filter((m) => !uidls.includes(m.uidl)) };
      return r;
    },
    download: async (_id, uidls, headersOnly): Promise<ServerDownloadResult> => (calls.download.push([uidls, headersOnly]), { downloaded: uidls.length, alreadyHere: 0, gone: 0 }),
    onChanged: (l) => (listeners.add(l), () => listeners.delete(l)),
  };
  return {
    source,
    calls,
    set: (l: ServerListing) => (current = l),
    changed: (id: string) => act(() => listeners.forEach((l) => l(id))),
    refuseRemove: (code: ApiError['code'], message: string) => (removeAnswer = async () => Promise.reject(new ApiError({ code, message }))),
    failListing: (code: ApiError['code'], message: string) => (listingAnswer = async (refresh) => (refresh ? Promise.reject(new ApiError({ code, message })) : current)),
    listeners,
  };
}

function view(server: ReturnType<typeof fakeServer>, over: Partial<Parameters<typeof ServerView>[0]> = {}) {
  const props = { accountId: 'acc1', accountName: 'Bob', source: server.source, onOpen: vi.fn(), onNotice: vi.fn(), onOpenSettings: vi.fn(), ...over };
  render(<ServerView {...props} />);
  return props;
}

const grid = () => screen.getByRole('grid', { name: 'Messages on the server' });
const rows = () => within(grid()).getAllByRole('row').filter((r) => r.hasAttribute('data-uidl'));
const rowOf = (subject: string) => rows().find((r) => r.textContent?.includes(subject))!;
const tick = (subject: string) => fireEvent.click(within(rowOf(subject)).getByRole('checkbox'));
const button = (name: RegExp) => screen.getByRole('button', { name });

/** vi.waitFor's own default is 1 s: under load a render can come later. A hang guard, as the other renderer tests' waits. */
const POLL = { timeout: 20_000 };

describe('what each message says', () => {
  it('names where it stands: downloaded, headers only, not downloaded, deleted here, a coming deletion and why, junk suspected or held', () => {
    expect(badgesOf(msg({ local: 'downloaded' })).map((b) => b.text)).toEqual(['Downloaded']);
    expect(badgesOf(msg({ local: 'headers-only' })).map((b) => b.text)).toEqual(['Headers only']);
    expect(badgesOf(msg({ local: 'deleted-here' })).map((b) => b.text)).toEqual(['Deleted here']);
    expect(badgesOf(msg({ local: 'downloaded', pendingDeletion: 'expired' })).map((b) => b.text)).toEqual(['Will be deleted at next check (older than the days to keep on the server)', 'Downloaded']);
    expect(badgesOf(msg({ junk: { verdict: 'junk', score: 0.973 } })).map((b) => b.text)).toEqual(['Junk? 97%', 'Not downloaded']);
    expect(badgesOf(msg({ junk: { verdict: 'ham', score: 0.01 } })).map((b) => b.text)).toEqual(['Not downloaded']);
    expect(badgesOf(msg({ heldAsJunk: true, junk: { verdict: 'junk', score: 0.99 } })).map((b) => b.text)).toEqual(['Held as junk (99%)', 'Not downloaded']);
  });

  it('says why an action leaves a message out, and what was done', () => {
    const here = msg({ local: 'downloaded', localId: 'm1' });
    const away = msg();
    const headers = msg({ local: 'headers-only', localId: 'm2' });
    expect(actionState('download', [here]).disabledReason).toBe('This message is already downloaded.');
    expect(actionState('download', [here, away])).toEqual({ uidls: [away.uidl], disabledReason: null, leftOut: '1 already downloaded' });
    expect(actionState('headers', [headers]).disabledReason).toBe('This message is already here as headers only.');
    expect(actionState('headers', [here, headers]).disabledReason).toBe('Nothing to download headers of: 1 already downloaded, 1 already here as headers only.');
    expect(actionState('download', [headers]).disabledReason).toBe('This message is already here as headers only (open it to get the rest).');
    expect(actionState('delete', [here, away, headers]).uidls).toHaveLength(3);
    expect(actionState('delete', []).disabledReason).toMatch(/Select messages/);
    expect(deletedText({ deleted: 2, gone: 0 })).toBe('2 messages deleted from the server');
    expect(deletedText({ deleted: 1, gone: 1 })).toBe('1 message deleted from the server; 1 message was already gone (deleted elsewhere)');
    const now = Date.UTC(2026, 11, 6, 8);
    expect(listedText(null, now, String)).toBe('Not listed yet');
    expect(listedText(now - 10_000, now, String)).toBe('Listed just now');
    expect(listedText(now - 2 * 60_000, now, String)).toBe('Listed 2 min ago');
    expect(listedText(now - 3 * 3600_000, now, String)).toBe('Listed 3 h ago');
  });
});

describe('On the server view', () => {
  it('shows the mailbox size and count, when it was listed, and one row per message with its state', async () => {
    const server = fakeServer(listingOf([msg({ subject: 'Invoice', size: 1024 * 1024, local: 'downloaded', localId: 'm-inv' }), msg({ subject: 'Cheap pills', heldAsJunk: true, junk: { verdict: 'junk', score: 0.98 } }), msg({ subject: 'Lunch' })]));
    view(server);
    await screen.findByText('Invoice');
    expect(screen.getByText(/^3 messages, 1\.0 MB on the server$/)).toBeTruthy();
    expect(screen.getByText('Listed 2 min ago')).toBeTruthy();
    expect(rows().map((r) => r.getAttribute('aria-label'))).toEqual([expect.stringMatching(/^Sender \d+, Invoice, .*, 1\.0 MB, Downloaded$/), expect.stringMatching(/Cheap pills, .*Held as junk \(98%\), Not downloaded$/), expect.stringMatching(/Lunch, .*Not downloaded$/)]);
    // Listed already: opening did not connect.
    expect(server.calls.listing).toEqual([false]);
  });

  it('connects at once when the server was never listed', async () => {
    const server = fakeServer(listingOf([], { listedAt: null }));
    server.source.listing = vi.fn(async (_id, refresh) => (refresh ? listingOf([msg({ subject: 'Fresh' })]) : listingOf([], { listedAt: null })));
    view(server);
    await screen.findByText('Fresh');
    expect(vi.mocked(server.source.listing).mock.calls.map((c) => c[1])).toEqual([false, true]);
  });

  it('never listed, while it connects: says "Asking the server…" once, and nothing else about the mailbox', async () => {
    const server = fakeServer(listingOf([], { listedAt: null }));
    let answer!: (l: ServerListing) => void;
    server.source.listing = vi.fn((_id, refresh) => (refresh ? new Promise<ServerListing>((r) => (answer = r)) : Promise.resolve(listingOf([], { listedAt: null }))));
    view(server);
    await vi.waitFor(() => expect(vi.mocked(server.source.listing).mock.calls.map((c) => c[1])).toEqual([false, true]), POLL);
    // Walkthrough m5: the first paint said "Asking…", "Not listed yet" and "0 messages" together.
    await screen.findByText('Asking the server…');
    expect(screen.getAllByText(/Asking the server/)).toHaveLength(1);
    expect(screen.queryByText(/Not listed yet/)).toBeNull();
    expect(screen.queryByText(/\b0 messages\b/)).toBeNull();
    expect(screen.queryByText('Loading…')).toBeNull();
    await act(async () => answer(listingOf([msg({ subject: 'Fresh' })])));
    await screen.findByText('Fresh');
    expect(screen.getByText('1 message')).toBeTruthy();
    expect(screen.queryByText(/Asking the server/)).toBeNull();
  });

  it('never listed and offline: says so, not “0 messages”', async () => {
    const server = fakeServer(listingOf([], { listedAt: null }));
    server.failListing('network', 'getaddrinfo ENOTFOUND pop.example.org');
    view(server);
    expect(await screen.findByText(/Cannot reach Bob's server: you may be offline/)).toBeTruthy();
    // Said once (the list under it says what to do), not twice.
    expect(screen.getAllByText(/Not listed yet/).map((e) => e.textContent)).toEqual(['Not listed yet']);
    expect(screen.getByText('Refresh lists what the server holds.')).toBeTruthy();
    expect(screen.queryByText(/^0 messages, /)).toBeNull();
    expect(server.calls.listing).toEqual([false, true]);
  });

  it('deletes the ticked messages on the server: the rows go and a toast says how many', async () => {
    const server = fakeServer(listingOf([msg({ subject: 'One' }), msg({ subject: 'Two' }), msg({ subject: 'Three' })]));
    const props = view(server);
    await screen.findByText('One');
    expect((button(/^Delete from server/) as HTMLButtonElement).disabled).toBe(true);
    const chosen = [rowUidl('One'), rowUidl('Three')];
    tick('One');
    tick('Three');
    expect(screen.getByText('2 of 3 selected')).toBeTruthy();
    fireEvent.click(button(/^Delete from server \(2\)$/));
    await vi.waitFor(() => expect(props.onNotice).toHaveBeenCalledWith('2 messages deleted from the server'), POLL);
    expect(server.calls.remove).toEqual([chosen]);
    // The rows go in the render after the notice (seen late under load).
    await vi.waitFor(() => expect(rows().map((r) => r.textContent)).toEqual([expect.stringContaining('Two')]), POLL);
    expect(screen.getByText(/^1 message, /)).toBeTruthy();
  });

  it('keeps everything when the person says no to main’s question, and says nothing', async () => {
    const server = fakeServer(listingOf([msg({ subject: 'One' }), msg({ subject: 'Two' })]));
    server.refuseRemove('cancelled', 'Nothing was deleted on the server.');
    const props = view(server);
    await screen.findByText('One');
    tick('One');
    tick('Two');
    fireEvent.click(button(/^Delete from server/));
    await vi.waitFor(() => expect(server.calls.remove).toHaveLength(1), POLL);
    await vi.waitFor(() => expect((button(/^Delete from server/) as HTMLButtonElement).disabled).toBe(false), POLL);
    expect(rows()).toHaveLength(2);
    expect(props.onNotice).not.toHaveBeenCalled();
    expect(screen.queryByRole('alert')).toBeNull();
    // Still ticked: the person can think again.
    expect(screen.getByText('2 of 2 selected')).toBeTruthy();
  });

  it('says so when main refused the work because Popbox is closing (not a no), and keeps everything', async () => {
    const server = fakeServer(listingOf([msg({ subject: 'One' })]));
    server.refuseRemove('closing', CLOSING_MESSAGE);
    const props = view(server);
    await screen.findByText('One');
    tick('One');
    fireEvent.click(button(/^Delete from server/));
    // It showed nothing: the click seemed to do nothing at all.
    const alert = await screen.findByRole('alert', undefined, POLL);
    expect(alert.textContent).toBe('Popbox is closing; try again after it starts.');
    expect(rows()).toHaveLength(1);
    expect(props.onNotice).not.toHaveBeenCalled();
  });

  it('downloads, or downloads headers only, what is not here; a downloaded row cannot be downloaded again and says why', async () => {
    const server = fakeServer(listingOf([msg({ subject: 'Here', local: 'downloaded', localId: 'm9' }), msg({ subject: 'Away' })]));
    const props = view(server);
    await screen.findByText('Here');
    tick('Here');
    const download = button(/^Download$/) as HTMLButtonElement;
    expect(download.disabled).toBe(true);
    expect(download.title).toBe('This message is already downloaded.');
    expect(screen.getByText(/already downloaded\. Download does nothing for it; Delete from server still can\./)).toBeTruthy();
    tick('Away');
    expect(screen.getByText('Download leaves out 1 already downloaded.')).toBeTruthy();
    fireEvent.click(button(/^Download \(1\)$/));
    await vi.waitFor(() => expect(props.onNotice).toHaveBeenCalledWith('1 message downloaded'), POLL);
    // The notice comes before the render that ends "Downloading…": until then the buttons are
    // disabled and a click does nothing, a person's as well (at load 18 this click was lost).
    const headersOnly = () => button(/^Download headers only \(1\)$/) as HTMLButtonElement;
    await vi.waitFor(() => expect(headersOnly().disabled).toBe(false), POLL);
    fireEvent.click(headersOnly());
    await vi.waitFor(() => expect(props.onNotice).toHaveBeenCalledWith('Headers of 1 message downloaded'), POLL);
    const away = server.calls.download[0]![0];
    expect(server.calls.download).toEqual([
      [away, false],
      [away, true],
    ]);
    expect(away).toHaveLength(1);
  });

  it('keys: arrows move, Space and x tick, Delete asks for the ticked (else the focused), Enter opens a downloaded one', async () => {
    const server = fakeServer(listingOf([msg({ subject: 'Stored', local: 'downloaded', localId: 'm-stored' }), msg({ subject: 'Remote' }), msg({ subject: 'Third' })]));
    const props = view(server);
    await screen.findByText('Stored');
    const remote = rowUidl('Remote');
    const g = grid();
    g.focus();
    fireEvent.keyDown(g, { key: 'ArrowDown' });
    fireEvent.keyDown(g, { key: 'Enter' });
    expect(props.onOpen).toHaveBeenCalledWith('m-stored');
    fireEvent.keyDown(g, { key: 'j' });
    fireEvent.keyDown(g, { key: 'Enter' });
    expect(props.onOpen).toHaveBeenCalledTimes(1);
    expect(screen.getByRole('status').textContent).toMatch(/only on the server: download it to read it here/);
    fireEvent.keyDown(g, { key: ' ' });
    fireEvent.keyDown(g, { key: 'ArrowDown' });
    fireEvent.keyDown(g, { key: 'x' });
    expect(rows().map((r) => r.getAttribute('aria-selected'))).toEqual(['false', 'true', 'true']);
    fireEvent.keyDown(g, { key: 'x' });
    fireEvent.keyDown(g, { key: 'Delete' });
    await vi.waitFor(() => expect(server.calls.remove).toHaveLength(1), POLL);
    expect(server.calls.remove[0]).toEqual([remote]);
    await vi.waitFor(() => expect(rows().map((r) => r.textContent)).toEqual([expect.stringContaining('Stored'), expect.stringContaining('Third')]), POLL);
  });

  it('says in plain words why the server could not be listed, with the fix', async () => {
    const server = fakeServer(listingOf([msg({ subject: 'Old' })]));
    server.failListing('network', 'connect ECONNREFUSED 127.0.0.1:995');
    const props = view(server);
    await screen.findByText('Old');
    fireEvent.click(button(/^Refresh$/));
    expect(await screen.findByText(/you may be offline/)).toBeTruthy();
    // What was listed before stays on screen.
    expect(rows()).toHaveLength(1);
    server.failListing('auth', '-ERR [AUTH] Authentication failed.');
    fireEvent.click(button(/^Try again$/));
    expect(await screen.findByText(/refused the password/)).toBeTruthy();
    fireEvent.click(button(/^Enter password$/));
    expect(props.onOpenSettings).toHaveBeenCalledWith('acc1', true);
  });

  it('asks again (from main’s cache, not the server) when main says this account’s server copies changed', async () => {
    const server = fakeServer(listingOf([msg({ subject: 'Before' })]));
    view(server);
    await screen.findByText('Before');
    server.set(listingOf([msg({ subject: 'After', local: 'downloaded', localId: 'x' })]));
    server.changed('another-account');
    server.changed('acc1');
    await screen.findByText('After');
    expect(server.calls.listing).toEqual([false, false]);
    cleanup();
    expect(server.listeners.size).toBe(0);
  });

  it('filters what is not downloaded, or suspected junk, and sorts by size', async () => {
    const server = fakeServer(listingOf([msg({ subject: 'Small', size: 100 }), msg({ subject: 'Big', size: 9_000_000, local: 'downloaded', localId: 'b' }), msg({ subject: 'Spammy', size: 5000, junk: { verdict: 'unsure', score: 0.6 } })]));
    view(server);
    await screen.findByText('Small');
    const show = screen.getByRole('combobox', { name: 'Show' });
    fireEvent.change(show, { target: { value: 'not-downloaded' } });
    expect(rows().map((r) => r.textContent)).toEqual([expect.stringContaining('Small'), expect.stringContaining('Spammy')]);
    fireEvent.change(show, { target: { value: 'junk' } });
    expect(rows().map((r) => r.textContent)).toEqual([expect.stringContaining('Spammy')]);
    fireEvent.change(show, { target: { value: 'all' } });
    fireEvent.click(screen.getByRole('button', { name: /^Size/ }));
    expect(rows().map((r) => r.textContent?.match(/Small|Big|Spammy/)?.[0])).toEqual(['Big', 'Spammy', 'Small']);
    fireEvent.click(screen.getByRole('button', { name: /^Size/ }));
    expect(rows().map((r) => r.textContent?.match(/Small|Big|Spammy/)?.[0])).toEqual(['Small', 'Spammy', 'Big']);
  });

  it('renders only the rows on screen of a long listing', async () => {
    const many = Array.from({ length: 5000 }, (_, i) => msg({ subject: `Bulk ${i}` }));
    const server = fakeServer(listingOf(many));
    view(server);
    await screen.findByText('Bulk 0');
    expect(grid().getAttribute('aria-rowcount')).toBe('5001');
    expect(rows().length).toBeGreaterThan(10);
    expect(rows().length).toBeLessThan(100);
  });
});

function rowUidl(subject: string): string | null {
  return rows()
    .find((r) => r.textContent?.includes(subject))
    ?.getAttribute('data-uidl') ?? null;
}

describe('the ? list', () => {
  it('names the On the server keys in a group of their own', () => {
    render(<ShortcutsHelp onClose={() => {}} />);
    const group = screen.getByRole('columnheader', { name: 'On the server' }).closest('tbody')!;
    expect([...group.querySelectorAll('tr')].slice(1).map((tr) => tr.textContent)).toEqual(['Space or xTick or untick the message', 'DeleteDelete the ticked messages from the server (asks first)', 'EnterOpen a downloaded message in its folder']);
  });
});

describe('the view follows its account', () => {
  it('closes when the account is removed', () => {
    const api = { on: () => () => {} } as unknown as PopboxApi;
    const { result, rerender } = renderHook(({ accounts }) => useServerPane(api, accounts), { initialProps: { accounts: [{ id: 'a' }, { id: 'b' }] as { id: string }[] | undefined } });
    act(() => result.current.open('b'));
    expect(result.current.accountId).toBe('b');
    rerender({ accounts: [{ id: 'a' }] });
    expect(result.current.accountId).toBeNull();
  });
});

describe('account setting', () => {
  it('offers “Leave suspected junk on the server for review” next to trusting the server’s verdict, and saves it', () => {
    const onChange = vi.fn();
    render(<PolicyFields value={DEFAULT_POLICY} onChange={onChange} />);
    const box = screen.getByRole('checkbox', { name: 'Leave suspected junk on the server for review' }) as HTMLInputElement;
    expect(box.checked).toBe(false);
    fireEvent.click(box);
    expect(onChange).toHaveBeenCalledWith(expect.objectContaining({ junkOnServer: true }));
    expect(screen.getByText(/stays on the server, marked “Held as junk”/)).toBeTruthy();
    const saved = policyValues({ ...DEFAULT_POLICY, junkOnServer: true });
    expect(saved.ok && saved.value.junkOnServer).toBe(true);
  });
});
