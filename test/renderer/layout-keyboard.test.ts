/**
 * The pure parts of the layout and keyboard work: the stored view settings read back safely,
 * the commands a selection offers, the new shortcuts, and "All headers" decoding.
 */
import { describe, expect, it } from 'vitest';
import { shortcutFor } from '../../renderer/src/app/keyboard.js';
import { DEFAULT_LAYOUT, readLayout } from '../../renderer/src/app/view-settings.js';
import type { MessageRow } from '../../renderer/src/db/database.js';
import { commandsFor } from '../../renderer/src/features/inbox/commands.js';
import { decodeEncodedWords, headerFields } from '../../renderer/src/features/reader/headers.js';

const row = (over: Partial<MessageRow>): MessageRow => ({ seen: 1, flagged: 0, folder: 'INBOX', ...over }) as MessageRow;

describe('view settings', () => {
  it('fall back field by field from a broken or hand-edited record, and clamp sizes', () => {
    expect(readLayout(null)).toEqual(DEFAULT_LAYOUT);
    expect(readLayout('{not json')).toEqual(DEFAULT_LAYOUT);
    const r = readLayout(JSON.stringify({ mode: 'classic', sidebarWidth: 5000, listWidth: -1, listHeight: 'x', zoom: 1.234, sort: 'size', reversed: true, sidebarHidden: 'yes' }));
    expect(r).toEqual({ ...DEFAULT_LAYOUT, mode: 'classic', sidebarWidth: 480, listWidth: 0.15, zoom: 1.2, sort: 'size', reversed: true });
    expect(readLayout(JSON.stringify({ sort: 'nonsense', mode: 'sideways' }))).toMatchObject({ sort: 'date', mode: 'wide' });
  });
});

describe('commands for a selection', () => {
  it('offers only what would change something, and the folder’s own moves', () => {
    expect(commandsFor([row({}), row({ folder: 'Work' })])).toEqual(['unread', 'flag', 'move', 'archive', 'junk', 'trash']);
    expect(commandsFor([row({ seen: 0 }), row({ flagged: 1 })])).toEqual(['read', 'flag', 'move', 'archive', 'junk', 'trash']);
    expect(commandsFor([row({ flagged: 1 })])).toEqual(['unread', 'unflag', 'move', 'archive', 'junk', 'trash']);
    // All in Junk: Not junk; some in Junk and some not: Junk (files the rest there too).
    expect(commandsFor([row({ folder: 'Junk' })])).toEqual(['unread', 'flag', 'move', 'archive', 'not-junk', 'trash']);
    expect(commandsFor([row({ folder: 'Junk' }), row({})])).toEqual(['unread', 'flag', 'move', 'archive', 'junk', 'trash']);
    expect(commandsFor([row({ folder: 'Trash' }), row({ folder: 'Trash', seen: 0 })])).toEqual(['read', 'flag', 'move', 'restore', 'delete']);
    // Some in Trash and some not: only what applies to both.
    expect(commandsFor([row({ folder: 'Trash' }), row({})])).toEqual(['unread', 'flag', 'move']);
    expect(commandsFor([])).toEqual([]);
  });
});

describe('shortcuts', () => {
  const key = (k: string, mods: Partial<{ ctrlKey: boolean; shiftKey: boolean; altKey: boolean }> = {}) => ({ key: k, ctrlKey: false, metaKey: false, altKey: false, shiftKey: false, ...mods });
  const body = document.body;
  const input = document.createElement('input');
  it('map the new keys, and leave typing alone except zoom', () => {
    expect(shortcutFor(key('Escape'), body)).toBe('clear-selection');
    expect(shortcutFor(key('!', { shiftKey: true }), body)).toBe('junk');
    expect(shortcutFor(key('!', { shiftKey: true }), input)).toBeNull();
    expect(shortcutFor(key('?', { shiftKey: true }), body)).toBe('help');
    expect(shortcutFor(key('C', { shiftKey: true }), body)).toBe('mark-all-read');
    expect(shortcutFor(key('F9'), body)).toBe('toggle-folders');
    expect(shortcutFor(key('=', { ctrlKey: true }), body)).toBe('zoom-in');
    expect(shortcutFor(key('-', { ctrlKey: true }), input)).toBe('zoom-out');
    expect(shortcutFor(key('0', { ctrlKey: true }), body)).toBe('zoom-reset');
    expect(shortcutFor(key('p', { ctrlKey: true }), body)).toBe('print');
    expect(shortcutFor(key('?'), input)).toBeNull();
    expect(shortcutFor(key('Escape'), input)).toBeNull();
  });
});

describe('all headers', () => {
  it('unfolds continuation lines and stops at the body', () => {
    const src = 'From: Ann <ann@example.org>\r\nX-Folded: first\r\n\tsecond\r\nSubject: hi\r\n\r\nBody: not a header\r\n';
    expect(headerFields(src)).toEqual([
      { name: 'From', value: 'Ann <ann@example.org>' },
      { name: 'X-Folded', value: 'first second' },
      { name: 'Subject', value: 'hi' },
    ]);
  });

  it('decodes encoded words in B and Q, joins adjacent ones, and keeps what it cannot decode', () => {
    expect(decodeEncodedWords('=?ISO-8859-1?Q?M=FCller_GmbH?=')).toBe('Müller GmbH');
    expect(decodeEncodedWords('=?UTF-8?B?w6lsw6h2ZQ==?= =?UTF-8?B?cw==?= and more')).toBe('élèves and more');
    expect(decodeEncodedWords('=?no-such-charset?Q?x?=')).toBe('=?no-such-charset?Q?x?=');
    expect(decodeEncodedWords('=?utf-8*en?Q?hello?=')).toBe('hello');
  });
});
