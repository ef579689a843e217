/**
 * The compose screen's parts in jsdom: address chips and their autocomplete (keys, paste,
 * mistyped addresses), the "attached but nothing attached" check in several languages, and the
 * form over a fake API: autosave replaces the previous draft and sends new files' bytes only
 * once, Send names the draft and asks first when the text promises an attachment.
 */
import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { useState } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AddressSuggestion, Draft, SaveDraft, StageAttachment } from '../../shared/compose.js';
import type { SendMessage } from '../../shared/contract.js';
import type { PopboxApi } from '../../renderer/src/api/client.js';
import { AddressField, SUGGEST_DELAY_MS } from '../../renderer/src/features/compose/AddressField.js';
import { addressOf, isValidEntry, splitAddresses } from '../../renderer/src/features/compose/addresses.js';
import { attachmentWord } from '../../renderer/src/features/compose/attached-words.js';
import { ComposeForm } from '../../renderer/src/features/compose/ComposeForm.js';
import { checkSize } from '../../renderer/src/features/compose/limits.js';
import { parseComposeHash, composeHash } from '../../renderer/src/features/compose/load.js';
import { htmlToText, cleanHtml } from '../../renderer/src/features/compose/rich-text.js';
import { AUTOSAVE_MS } from '../../renderer/src/features/compose/useCompose.js';
import { useComposer } from '../../renderer/src/features/compose/useComposer.js';
import { swapSignature } from '../../renderer/src/features/compose/signature.js';
import { composeKeyFor, shortcutFor, SHORTCUT_HELP } from '../../renderer/src/app/keyboard.js';
import { ShortcutsHelp } from '../../renderer/src/app/ShortcutsHelp.js';

afterEach(() => {
  cleanup();
  vi.useRealTimers();
});

describe('addresses', () => {
  it('splits pasted lists on commas, semicolons and lines, not inside quotes or <>', () => {
    expect(splitAddresses('a@x.org, "Doe, Jane" <jane@y.org>; c@z.org\nd@w.org')).toEqual(['a@x.org', '"Doe, Jane" <jane@y.org>', 'c@z.org', 'd@w.org']);
    expect(splitAddresses('a@x.org b@y.org')).toEqual(['a@x.org', 'b@y.org']);
    expect(addressOf('"Doe, Jane" <jane@y.org>')).toBe('jane@y.org');
  });

  it('tells a mistyped address from a good one (international domains are good)', () => {
    for (const ok of ['a@x.org', 'Ann <ann@example.org>', 'jörg@bücher.de', 'x+tag@sub.example.co.uk']) expect(isValidEntry(ok), ok).toBe(true);
    for (const bad of ['bob', 'bob@', '@x.org', 'bob@localhost', 'a b@x.org', 'a@x..org', 'Ann <ann@>']) expect(isValidEntry(bad), bad).toBe(false);
    // Letters of any script before the "@" too (sent where the server offers SMTPUTF8), never a bidi override or a space.
    for (const ok of ['jörg@example.org', 'Jörg Müller <jörg@example.org>', '用户@例子.广告']) expect(isValidEntry(ok), ok).toBe(true);
    for (const bad of ['jö\u202erg@example.org', 'jö\u00a0rg@example.org', 'a@-x.org', 'a@x_y.org']) expect(isValidEntry(bad), bad).toBe(false);
  });
});

describe('attached with nothing attached', () => {
  it('finds the word in English, German, French and Spanish', () => {
    expect(attachmentWord('Hi, I attached the report.')).toBe('attached');
    expect(attachmentWord('See the attachment')).toBe('attachment');
    expect(attachmentWord('Please find enclosed the form')).toBe('enclosed');
    expect(attachmentWord('Die Rechnung ist angehängt.')).toBe('angehängt');
    expect(attachmentWord('Siehe Anhang')).toBe('Anhang');
    expect(attachmentWord('Voir la pièce jointe')).toBe('pièce jointe');
    expect(attachmentWord('Te envío el documento adjunto')).toBe('adjunto');
    expect(attachmentWord('', 'Attachment: photos')).toBe('Attachment');
  });

  it('ignores other words that contain it, quoted lines and the signature', () => {
    expect(attachmentWord('My attachedness to this plan is strong')).toBeNull();
    expect(attachmentWord('Thanks!\n\nOn Mon, Ann wrote:\n> I attached the file\n> see attachment')).toBeNull();
    expect(attachmentWord('Thanks!\n-- \nAttachments are scanned by Example Corp')).toBeNull();
    expect(attachmentWord('Fine by me.\n\n---------- Forwarded message ---------\nSee the attached')).toBeNull();
  });

  it('warns before the server’s size limit (base64 grows a file by about 37%) and refuses over 25 MB', () => {
    expect(checkSize(1000, 7 * 1024 * 1024, 10 * 1024 * 1024)).toBeNull();
    expect(checkSize(1000, 8 * 1024 * 1024, 10 * 1024 * 1024)).toMatchObject({ blocking: false, message: expect.stringMatching(/accepts at most 10\.0 MB/) });
    expect(checkSize(1000, 26 * 1024 * 1024, 0)).toMatchObject({ blocking: true });
  });
});

describe('signatures', () => {
  it('another identity swaps the signature block, removes it, or adds one above the quote', () => {
    const reply = '\n\n-- \nAnn at home\n\nOn Tue, Bob wrote:\n> hi\n';
    expect(swapSignature(reply, 'Ann at home', 'Ann Example\nExample Corp')).toBe('\n\n-- \nAnn Example\nExample Corp\n\nOn Tue, Bob wrote:\n> hi\n');
    expect(swapSignature(reply, 'Ann at home', undefined)).toBe('\n\nOn Tue, Bob wrote:\n> hi\n');
    expect(swapSignature('Hello\n\nOn Tue, Bob wrote:\n> hi\n', undefined, 'Ann')).toBe('Hello\n\n-- \nAnn\n\nOn Tue, Bob wrote:\n> hi\n');
    expect(swapSignature('Hello', undefined, 'Ann')).toBe('Hello\n\n-- \nAnn\n');
    expect(swapSignature('Hello', 'Same', 'Same')).toBe('Hello');
  });
});

describe('rich text', () => {
  it('keeps only the editor’s formatting from pasted HTML and writes a faithful text part', () => {
    const clean = cleanHtml('<p style="color:red" onclick="x()">Hi <b>there</b><script>alert(1)</script><img src="http://t.example/p.gif"><a href="javascript:alert(1)">bad</a></p>');
    expect(clean).not.toMatch(/script|onclick|img|javascript|style/);
    expect(clean).toContain('<b>there</b>');
    expect(htmlToText('<div>Hello <a href="https://example.org">site</a></div><ul><li>one</li><li>two</li></ul><ol><li>first</li></ol><blockquote><div>quoted</div></blockquote>')).toBe(
      'Hello site <https://example.org>\n- one\n- two\n1. first\n> quoted',
    );
  });
});

describe('writing keys', () => {
  const key = (k: string, more: Partial<KeyboardEvent> = {}, target: EventTarget | null = document.body) => shortcutFor({ key: k, ctrlKey: false, metaKey: false, altKey: false, shiftKey: false, ...more }, target);
  it('r, Shift+R, f, c and n write; not while typing; Ctrl/⌘+Enter sends and Escape closes in compose', () => {
    expect([key('r'), key('R', { shiftKey: true }), key('f'), key('c'), key('n'), key('a')]).toEqual(['reply', 'reply-all', 'forward', 'compose', 'compose', 'archive']);
    expect(key('r', {}, document.createElement('textarea'))).toBeNull();
    expect(key('r', { ctrlKey: true })).toBeNull();
    expect(composeKeyFor({ key: 'Enter', ctrlKey: true, metaKey: false, altKey: false, shiftKey: false })).toBe('send');
    expect(composeKeyFor({ key: 'Enter', ctrlKey: false, metaKey: true, altKey: false, shiftKey: false })).toBe('send');
    expect(composeKeyFor({ key: 'Enter', ctrlKey: false, metaKey: false, altKey: false, shiftKey: false })).toBeNull();
    expect(composeKeyFor({ key: 'Escape', ctrlKey: false, metaKey: false, altKey: false, shiftKey: false })).toBe('close');
  });

  it('the ? list shows the writing keys in a group of their own', () => {
    render(<ShortcutsHelp onClose={() => {}} />);
    const writing = screen.getByRole('columnheader', { name: 'Writing' }).closest('tbody')!;
    expect([...writing.querySelectorAll('td')].map((td) => td.textContent)).toEqual(SHORTCUT_HELP.filter((s) => s.group === 'Writing').map((s) => s.what));
    expect(writing.textContent).toContain('Shift+R');
  });
});

describe('compose window address', () => {
  it('round-trips a request and refuses what Popbox does not make', () => {
    expect(parseComposeHash(composeHash({ mode: 'reply', id: 'm 1' }))).toEqual({ mode: 'reply', id: 'm 1' });
    expect(parseComposeHash(composeHash({ mode: 'new', accountId: 'a1' }))).toEqual({ mode: 'new', accountId: 'a1' });
    expect(parseComposeHash('#compose?mode=reply')).toBeNull();
    expect(parseComposeHash('#compose?mode=evil&id=1')).toBeNull();
    expect(parseComposeHash('#settings')).toBeNull();
  });
});

function Field({ suggest, initial = [] }: { suggest: (q: string) => Promise<AddressSuggestion[]>; initial?: string[] }) {
  const [values, setValues] = useState(initial);
  return (
    <div onKeyDown={(e) => e.key === 'Escape' && ((document.body.dataset.closed = 'yes'), undefined)}>
      <AddressField label="To" values={values} onChange={setValues} suggest={suggest} />
    </div>
  );
}

const chips = () => screen.queryAllByRole('listitem').filter((li) => li.classList.contains('chip'));

describe('address chips', () => {
  const PEOPLE: AddressSuggestion[] = [
    { name: 'Ann Example', address: 'ann@example.org' },
    { name: 'Andy', address: 'andy@example.org' },
  ];

  it('suggests after a pause, moves with ↓ and takes the choice with Enter', async () => {
    const suggest = vi.fn(async (q: string) => PEOPLE.filter((p) => p.name.toLowerCase().startsWith(q.toLowerCase())));
    render(<Field suggest={suggest} />);
    const input = screen.getByRole('combobox', { name: 'To' });
    fireEvent.change(input, { target: { value: 'a' } });
    fireEvent.change(input, { target: { value: 'an' } });
    const list = await screen.findByRole('listbox', {}, { timeout: SUGGEST_DELAY_MS + 1000 });
    // Debounced: one question for the last text typed.
    expect(suggest).toHaveBeenCalledTimes(1);
    expect(suggest).toHaveBeenCalledWith('an');
    expect(input.getAttribute('aria-expanded')).toBe('true');
    expect([...list.querySelectorAll('[role="option"]')].map((o) => o.textContent)).toEqual(['Ann Example ann@example.org', 'Andy andy@example.org']);
    fireEvent.keyDown(input, { key: 'ArrowDown' });
    expect(screen.getByRole('option', { name: /Andy/ }).getAttribute('aria-selected')).toBe('true');
    fireEvent.keyDown(input, { key: 'Enter' });
    expect(chips().map((c) => c.title)).toEqual(['Andy <andy@example.org>']);
    expect((input as HTMLInputElement).value).toBe('');
    expect(screen.queryByRole('listbox')).toBeNull();
  });

  it('Tab takes the highlighted suggestion; Escape closes the list without closing the screen; chosen addresses are not suggested again', async () => {
    const suggest = vi.fn(async () => PEOPLE);
    render(<Field suggest={suggest} initial={['ann@example.org']} />);
    const input = screen.getByRole('combobox', { name: 'To' });
    fireEvent.change(input, { target: { value: 'an' } });
    await screen.findByRole('listbox', {}, { timeout: SUGGEST_DELAY_MS + 1000 });
    expect(screen.getAllByRole('option').map((o) => o.textContent)).toEqual(['Andy andy@example.org']);
    fireEvent.keyDown(input, { key: 'Escape' });
    expect(screen.queryByRole('listbox')).toBeNull();
    expect(document.body.dataset.closed).toBeUndefined();
    fireEvent.change(input, { target: { value: 'and' } });
    await screen.findByRole('listbox', {}, { timeout: SUGGEST_DELAY_MS + 1000 });
    fireEvent.keyDown(input, { key: 'Tab' });
    expect(chips().map((c) => c.title)).toEqual(['ann@example.org', 'Andy <andy@example.org>']);
  });

  it('pasting several addresses makes a chip of each, marks the mistyped one, and Backspace edits the last', () => {
    render(<Field suggest={async () => []} />);
    const input = screen.getByRole('combobox', { name: 'To' }) as HTMLInputElement;
    fireEvent.paste(input, { clipboardData: { getData: () => 'a@x.org, "Doe, Jane" <jane@y.org>; bob@' } });
    expect(chips().map((c) => c.title)).toEqual(['a@x.org', '"Doe, Jane" <jane@y.org>', 'Not a valid address: bob@']);
    expect(chips()[1]!.textContent).toContain('Doe, Jane');
    expect(chips()[2]!.getAttribute('aria-invalid')).toBe('true');
    expect(screen.getByRole('alert').textContent).toBe('Not a valid address: bob@');
    fireEvent.keyDown(input, { key: 'Backspace' });
    expect(input.value).toBe('bob@');
    expect(chips()).toHaveLength(2);
    fireEvent.change(input, { target: { value: 'bob@example.org' } });
    fireEvent.keyDown(input, { key: 'Enter' });
    expect(chips().map((c) => c.title)).toEqual(['a@x.org', '"Doe, Jane" <jane@y.org>', 'bob@example.org']);
    expect(screen.queryByRole('alert')).toBeNull();
    // The same address again is not added twice; a comma ends an address.
    fireEvent.change(input, { target: { value: 'A@X.org' } });
    fireEvent.keyDown(input, { key: ',' });
    expect(chips()).toHaveLength(3);
    fireEvent.click(screen.getByRole('button', { name: 'Remove a@x.org' }));
    expect(chips()).toHaveLength(2);
  });

  it('an answer to an older query never replaces the newer one', async () => {
    let release: (v: AddressSuggestion[]) => void = () => {};
    const suggest = vi.fn((q: string) => (q === 'a' ? new Promise<AddressSuggestion[]>((r) => (release = r)) : Promise.resolve([PEOPLE[1]!])));
    render(<Field suggest={suggest} />);
    const input = screen.getByRole('combobox', { name: 'To' });
    fireEvent.change(input, { target: { value: 'a' } });
    await waitFor(() => expect(suggest).toHaveBeenCalledWith('a'));
    fireEvent.change(input, { target: { value: 'andy' } });
    await screen.findByRole('listbox', {}, { timeout: SUGGEST_DELAY_MS + 1000 });
    await act(async () => release([PEOPLE[0]!]));
    expect(screen.getAllByRole('option').map((o) => o.textContent)).toEqual(['Andy andy@example.org']);
  });
});

const DRAFT: Draft = {
  accountId: 'acc',
  identityId: null,
  to: [],
  cc: [],
  bcc: [],
  subject: '',
  text: '',
  html: null,
  inReplyTo: null,
  references: [],
  storedAttachments: [],
  draftId: null,
  sizeLimit: 10 * 1024 * 1024,
};

/**
 * Main's staging as the page sees it (stageAttachment): chunks must come in order (offset), the
 * first without an id; each upload's bytes are kept (latin1) to compare with the file.
 */
function fakeStaging() {
  const chunks: StageAttachment[] = [];
  const uploads = new Map<string, { filename: string; bytes: string; final: boolean }>();
  const stageAttachment = (input: StageAttachment) => {
    chunks.push(structuredClone(input));
    const uploadId = input.uploadId ?? `u${uploads.size + 1}`.padEnd(32, '0');
    const u = uploads.get(uploadId) ?? { filename: input.filename, bytes: '', final: false };
    if (u.final || input.offset !== u.bytes.length) return Promise.resolve({ ok: false, error: { code: 'invalid', message: 'chunk out of order' } });
    u.bytes += atob(input.chunk);
    u.final = input.final;
    uploads.set(uploadId, u);
    return Promise.resolve({ ok: true, value: { uploadId, size: u.bytes.length } });
  };
  /** The name of a staged upload, as main lists it once stored. */
  const nameOf = (a: { uploadId: string }) => uploads.get(a.uploadId)!.filename;
  return { chunks, uploads, stageAttachment, nameOf };
}

/** What the form asked main for, as the contract types it. */
type Calls = { saveDraft: SaveDraft[]; send: SendMessage[]; deleteForGood: { ids: string[] }[]; cancelSend: { id: string }[] };
function fakeApi(): { api: PopboxApi; calls: Calls; staging: ReturnType<typeof fakeStaging> } {
  const calls: Calls = { saveDraft: [], send: [], deleteForGood: [], cancelSend: [] };
  const staging = fakeStaging();
  let n = 0;
  let last: { id: string; attachmentId: string; filename: string; contentType: string; size: number }[] = [];
  const ok = (value: unknown) => Promise.resolve({ ok: true, value });
  const api = {
    suggestAddresses: () => ok([]),
    stageAttachment: staging.stageAttachment,
    saveDraft: (input: SaveDraft) => {
      calls.saveDraft.push(structuredClone(input));
      n += 1;
      // As main does it: the new files first, then the kept attachments copied into the new draft.
      const kept = input.storedAttachments ?? [];
      const parts = [...(input.stagedAttachments ?? []).map((a) => ({ filename: staging.nameOf(a), contentType: 'text/plain', size: 5 })), ...kept.map((k) => last.find((a) => a.attachmentId === k.attachmentId)!)];
      const stored = parts.map((p, i) => ({ ...p, id: `d${n}`, attachmentId: `${i + 1}` }));
      last = stored;
      return ok({ id: `d${n}`, storedAttachments: stored });
    },
    send: (input: SendMessage) => {
      calls.send.push(structuredClone(input));
      return ok({ id: 'out1', messageId: '<m@x>' });
    },
    deleteForGood: (input: { ids: string[] }) => {
      calls.deleteForGood.push(input);
      return ok(null);
    },
  } as unknown as PopboxApi;
  return { api, calls, staging };
}

const ACCOUNT = { id: 'acc', name: 'Bob', identities: [{ id: 'home', name: 'Bob', address: 'bob@example.org' }, { id: 'work', name: 'Bob at work', address: 'bob@work.example' }] } as never;

describe('the compose form', () => {
  it('an attachment removed while a save is under way stays removed and is not sent; a file added meanwhile stays', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const calls: { saveDraft: { storedAttachments?: { id: string; attachmentId?: string }[]; stagedAttachments?: { uploadId: string }[] }[]; send: { storedAttachments?: unknown[]; stagedAttachments?: { uploadId: string }[] }[] } = { saveDraft: [], send: [] };
    const staging = fakeStaging();
    const gates: (() => void)[] = [];
    let n = 0;
    type Listed = { id: string; attachmentId: string; filename: string; contentType: string; size: number };
    let last: Listed[] = [
      { id: 'fwd', attachmentId: '2', filename: 'salaries.xlsx', contentType: 'application/octet-stream', size: 7 },
      { id: 'fwd', attachmentId: '3', filename: 'agenda.pdf', contentType: 'application/pdf', size: 9 },
    ];
    // As main does it: the page's new files first, then the stored ones, each in the order given.
    const api = {
      suggestAddresses: () => Promise.resolve({ ok: true, value: [] }),
      stageAttachment: staging.stageAttachment,
      saveDraft: (input: (typeof calls.saveDraft)[number]) => {
        calls.saveDraft.push(structuredClone(input));
        n += 1;
        const id = `d${n}`;
        const parts = [
          ...(input.stagedAttachments ?? []).map((a) => ({ filename: staging.nameOf(a), contentType: 'text/plain', size: 5 })),
          ...(input.storedAttachments ?? []).map((k) => last.find((a) => a.id === k.id && a.attachmentId === k.attachmentId)!),
        ];
        const listed = parts.map((p, i) => ({ ...p, id, attachmentId: `${i + 1}` }));
        return new Promise((resolve) => gates.push(() => ((last = listed), resolve({ ok: true, value: { id, storedAttachments: listed } }))));
      },
      send: (input: (typeof calls.send)[number]) => {
        calls.send.push(structuredClone(input));
        return Promise.resolve({ ok: true, value: { id: 'out1', messageId: '<m@x>' } });
      },
    } as unknown as PopboxApi;
    const onSent = vi.fn();
    render(<ComposeForm api={api} draft={{ ...DRAFT, to: ['ann@example.org'], subject: 'Fwd: budget', storedAttachments: last }} accounts={[ACCOUNT]} onClose={() => {}} onSent={onSent} onDiscarded={() => {}} />);
    fireEvent.change(screen.getByLabelText('Attach files'), { target: { files: [new File(['hello'], 'draft-notes.txt', { type: 'text/plain' })] } });
    await screen.findByText('draft-notes.txt');
    await act(async () => vi.advanceTimersByTimeAsync(AUTOSAVE_MS + 10));
    await waitFor(() => expect(calls.saveDraft).toHaveLength(1));
    // While that save is under way: the forward's spreadsheet and the new file are taken off, another file is added.
    fireEvent.click(screen.getByRole('button', { name: 'Remove salaries.xlsx' }));
    fireEvent.click(screen.getByRole('button', { name: 'Remove draft-notes.txt' }));
    fireEvent.change(screen.getByLabelText('Attach files'), { target: { files: [new File(['hello'], 'later.txt', { type: 'text/plain' })] } });
    await screen.findByText('later.txt');
    await act(async () => gates.shift()!());
    await screen.findByText(/Draft saved/);
    const names = () => [...screen.getByRole('list', { name: 'Attachments' }).querySelectorAll('.att-name')].map((e) => e.textContent).sort();
    expect(names()).toEqual(['agenda.pdf', 'later.txt']);
    // The next save and Send carry only what the user kept.
    await act(async () => vi.advanceTimersByTimeAsync(AUTOSAVE_MS + 10));
    await waitFor(() => expect(calls.saveDraft).toHaveLength(2));
    expect(calls.saveDraft[1]!.storedAttachments).toEqual([{ id: 'd1', attachmentId: '3' }]);
    expect(calls.saveDraft[1]!.stagedAttachments?.map(staging.nameOf)).toEqual(['later.txt']);
    await act(async () => gates.shift()!());
    expect(names()).toEqual(['agenda.pdf', 'later.txt']);
    fireEvent.click(screen.getByRole('button', { name: 'Send' }));
    await waitFor(() => expect(onSent).toHaveBeenCalled());
    expect(calls.send[0]).toMatchObject({ draftId: 'd2' });
    expect(JSON.stringify(calls.send[0])).not.toContain('salaries');
    expect(last.filter((a) => calls.send[0]!.storedAttachments!.some((k) => JSON.stringify(k) === JSON.stringify({ id: a.id, attachmentId: a.attachmentId }))).map((a) => a.filename).sort()).toEqual(['agenda.pdf', 'later.txt']);
  });

  it('a 2.5 MB file goes to main in 1 MB chunks, in order, the last one final; Send names it by its upload id, never its bytes', async () => {
    const { api, calls, staging } = fakeApi();
    const onSent = vi.fn();
    render(<ComposeForm api={api} draft={{ ...DRAFT, to: ['ann@example.org'], subject: 'photo' }} accounts={[ACCOUNT]} onClose={() => {}} onSent={onSent} onDiscarded={() => {}} />);
    const bytes = new Uint8Array(2.5 * 1024 * 1024).map((_, i) => (i * 7919) & 0xff);
    fireEvent.change(screen.getByLabelText('Attach files'), { target: { files: [new File([bytes], 'photo.jpg', { type: 'image/jpeg' })] } });
    await screen.findByText('photo.jpg', undefined, { timeout: 20_000 });
    expect(staging.chunks.map((c) => [c.offset, atob(c.chunk).length, c.final, c.uploadId !== undefined])).toEqual([
      [0, 1024 * 1024, false, false],
      [1024 * 1024, 1024 * 1024, false, true],
      [2 * 1024 * 1024, 512 * 1024, true, true],
    ]);
    expect(staging.chunks.every((c) => c.accountId === 'acc' && c.filename === 'photo.jpg' && c.contentType === 'image/jpeg')).toBe(true);
    const [uploadId, upload] = [...staging.uploads][0]!;
    expect(upload.bytes.length).toBe(bytes.length);
    expect([...upload.bytes].every((c, i) => c.charCodeAt(0) === bytes[i])).toBe(true);
    fireEvent.click(screen.getByRole('button', { name: 'Send' }));
    await waitFor(() => expect(onSent).toHaveBeenCalled());
    expect(calls.send[0]).toMatchObject({ stagedAttachments: [{ uploadId }] });
    expect(calls.send[0]).not.toHaveProperty('attachments');
    expect(JSON.stringify(calls.send[0]).length).toBeLessThan(2000);
  }, 30_000);

  it('a file main refuses to stage is not attached, and the form says why', async () => {
    const { api, calls } = fakeApi();
    (api as unknown as { stageAttachment: () => Promise<unknown> }).stageAttachment = () => Promise.resolve({ ok: false, error: { code: 'invalid', message: 'The files being attached are too large together (at most 25.0 MB): send or close a message first.' } });
    render(<ComposeForm api={api} draft={DRAFT} accounts={[ACCOUNT]} onClose={() => {}} onSent={() => {}} onDiscarded={() => {}} />);
    fireEvent.change(screen.getByLabelText('Attach files'), { target: { files: [new File(['hello'], 'note.txt', { type: 'text/plain' })] } });
    await screen.findByText(/Could not attach the file: The files being attached are too large together/);
    expect(screen.queryByText('note.txt')).toBeNull();
    expect(calls.saveDraft).toHaveLength(0);
  });

  it('autosaves after a few seconds, replacing the previous draft; a file’s bytes go up once', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const { api, calls, staging } = fakeApi();
    render(<ComposeForm api={api} draft={DRAFT} accounts={[ACCOUNT]} onClose={() => {}} onSent={() => {}} onDiscarded={() => {}} />);
    // Several identities: From is a choice.
    fireEvent.change(screen.getByLabelText('From'), { target: { value: 'work' } });
    fireEvent.change(screen.getByLabelText('Subject'), { target: { value: 'Grüße' } });
    const file = new File(['hello'], 'note.txt', { type: 'text/plain' });
    fireEvent.change(screen.getByLabelText('Attach files'), { target: { files: [file] } });
    await screen.findByText('note.txt');
    expect(calls.saveDraft).toHaveLength(0);
    await act(async () => vi.advanceTimersByTimeAsync(AUTOSAVE_MS + 10));
    await waitFor(() => expect(calls.saveDraft).toHaveLength(1));
    // The file went to main staged (not inside the save); the save names it by its upload id.
    const [upload] = [...staging.uploads];
    expect(upload![1]).toEqual({ filename: 'note.txt', bytes: 'hello', final: true });
    expect(calls.saveDraft[0]).toMatchObject({ accountId: 'acc', identityId: 'work', subject: 'Grüße', stagedAttachments: [{ uploadId: upload![0] }] });
    expect(calls.saveDraft[0]).not.toHaveProperty('attachments');
    expect(calls.saveDraft[0]).not.toHaveProperty('draftId');
    await screen.findByText(/Draft saved/);
    fireEvent.change(screen.getByLabelText('Message text'), { target: { value: 'More text' } });
    await act(async () => vi.advanceTimersByTimeAsync(AUTOSAVE_MS + 10));
    await waitFor(() => expect(calls.saveDraft).toHaveLength(2));
    // The second save names the first draft and the stored file, not its bytes.
    expect(calls.saveDraft[1]).toMatchObject({ draftId: 'd1', text: 'More text', storedAttachments: [{ id: 'd1', attachmentId: '1' }] });
    expect(calls.saveDraft[1]).not.toHaveProperty('attachments');
    expect(calls.saveDraft[1]).not.toHaveProperty('stagedAttachments');
    expect(staging.chunks).toHaveLength(1);
    expect(screen.getByText('note.txt')).toBeTruthy();
  });

  it('Send: a missing recipient is said next to To; "attached" with nothing attached asks first; Ctrl+Enter sends with the draft id', async () => {
    const { api, calls } = fakeApi();
    const onSent = vi.fn();
    render(<ComposeForm api={api} draft={{ ...DRAFT, draftId: 'old', text: 'I attached the plan.' }} accounts={[ACCOUNT]} onClose={() => {}} onSent={onSent} onDiscarded={() => {}} />);
    fireEvent.click(screen.getByRole('button', { name: 'Send' }));
    expect((await screen.findByRole('alert')).textContent).toBe('Add at least one recipient.');
    const to = screen.getByRole('combobox', { name: 'To' });
    fireEvent.change(to, { target: { value: 'ann@example.org' } });
    fireEvent.keyDown(to, { key: 'Enter' });
    fireEvent.keyDown(screen.getByLabelText('Message text'), { key: 'Enter', ctrlKey: true });
    expect((await screen.findByRole('alert')).textContent).toMatch(/You wrote “attached”, but nothing is attached/);
    expect(calls.send).toHaveLength(0);
    fireEvent.click(screen.getByRole('button', { name: 'Send anyway' }));
    await waitFor(() => expect(onSent).toHaveBeenCalledTimes(1));
    expect(calls.send[0]).toMatchObject({ accountId: 'acc', to: ['ann@example.org'], text: 'I attached the plan.', draftId: 'old' });
    expect(onSent.mock.calls[0]![0]).toMatchObject({ id: 'out1', accountId: 'acc' });
  });

  it('Ctrl+Enter in To sends to the address still being typed; a refusal naming an address is said under its field', async () => {
    const { api, calls } = fakeApi();
    let refuse = true;
    const send = api.send;
    (api as unknown as { send: unknown }).send = (input: unknown) =>
      refuse ? ((refuse = false), Promise.resolve({ ok: false, error: { code: 'rejected', message: 'The server does not know carol@example.org.' } })) : send(input as never);
    const onSent = vi.fn();
    render(<ComposeForm api={api} draft={{ ...DRAFT, subject: 'Hi', text: 'Hello' }} accounts={[ACCOUNT]} onClose={() => {}} onSent={onSent} onDiscarded={() => {}} />);
    fireEvent.click(screen.getByRole('button', { name: 'Cc' }));
    const cc = screen.getByRole('combobox', { name: 'Cc' });
    fireEvent.change(cc, { target: { value: 'carol@example.org' } });
    fireEvent.keyDown(cc, { key: 'Enter', ctrlKey: true });
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toBe('The server does not know carol@example.org.');
    expect(alert.closest('.address-field')?.querySelector('label')?.textContent).toBe('Cc');
    expect(onSent).not.toHaveBeenCalled();
    fireEvent.click(screen.getByRole('button', { name: 'Remove carol@example.org' }));
    const to = screen.getByRole('combobox', { name: 'To' });
    fireEvent.change(to, { target: { value: 'dan@example.org' } });
    fireEvent.keyDown(to, { key: 'Enter', metaKey: true });
    await waitFor(() => expect(onSent).toHaveBeenCalledTimes(1));
    expect(calls.send[0]).toMatchObject({ to: ['dan@example.org'], cc: [] });
  });

  it('warns before the server’s size limit once files are attached, and Remove takes the warning away', async () => {
    const { api } = fakeApi();
    render(<ComposeForm api={api} draft={{ ...DRAFT, sizeLimit: 4000 }} accounts={[ACCOUNT]} onClose={() => {}} onSent={() => {}} onDiscarded={() => {}} />);
    expect(screen.queryByRole('alert')).toBeNull();
    fireEvent.change(screen.getByLabelText('Attach files'), { target: { files: [new File(['x'.repeat(3000)], 'big.txt', { type: 'text/plain' })] } });
    // 3,000 bytes become about 4,100 in base64, and the headers come on top: over this server's 4,000.
    expect((await screen.findByRole('alert')).textContent).toMatch(/your outgoing server accepts at most 3\.9 KB/);
    expect(screen.getByText('2.9 KB')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Remove big.txt' }));
    await waitFor(() => expect(screen.queryByRole('alert')).toBeNull());
  });

  it('Send later › Pick date and time: a past time is refused in words, a later one sends at that time; Escape closes only the picker', async () => {
    const { api, calls } = fakeApi();
    const onClose = vi.fn();
    const onSent = vi.fn();
    render(<ComposeForm api={api} draft={{ ...DRAFT, to: ['ann@example.org'], subject: 'Later', text: 'Hi' }} accounts={[ACCOUNT]} onClose={onClose} onSent={onSent} onDiscarded={() => {}} />);
    fireEvent.click(screen.getByRole('button', { name: 'Send later' }));
    expect(screen.getAllByRole('menuitem').map((m) => m.textContent)).toEqual([expect.stringMatching(/^In 1 hour/), expect.stringMatching(/^Tomorrow morning/), 'Pick date and time…']);
    fireEvent.click(screen.getByRole('menuitem', { name: 'Pick date and time…' }));
    const when = screen.getByLabelText('Send at');
    fireEvent.keyDown(when, { key: 'Escape' });
    expect(screen.queryByLabelText('Send at')).toBeNull();
    expect(onClose).not.toHaveBeenCalled();
    fireEvent.click(screen.getByRole('button', { name: 'Send later' }));
    fireEvent.click(screen.getByRole('menuitem', { name: 'Pick date and time…' }));
    fireEvent.change(screen.getByLabelText('Send at'), { target: { value: '2020-01-01T08:00' } });
    fireEvent.click(screen.getByRole('button', { name: 'Schedule' }));
    expect(screen.getByRole('alert').textContent).toBe('That time has passed: choose a later one.');
    fireEvent.change(screen.getByLabelText('Send at'), { target: { value: '2099-03-04T09:30' } });
    fireEvent.keyDown(screen.getByLabelText('Send at'), { key: 'Enter' });
    await waitFor(() => expect(onSent).toHaveBeenCalled());
    expect(calls.send[0]).toMatchObject({ sendAt: new Date('2099-03-04T09:30').getTime() });
  });

  it('a file that would pass 25 MB in all is not read or attached, and says why', async () => {
    const { api } = fakeApi();
    render(<ComposeForm api={api} draft={DRAFT} accounts={[ACCOUNT]} onClose={() => {}} onSent={() => {}} onDiscarded={() => {}} />);
    const huge = new File(['x'], 'video.mp4', { type: 'video/mp4' });
    Object.defineProperty(huge, 'size', { value: 2 * 1024 * 1024 * 1024 });
    const read = vi.spyOn(huge, 'arrayBuffer');
    fireEvent.change(screen.getByLabelText('Attach files'), { target: { files: [new File(['ok'], 'small.txt'), huge] } });
    expect((await screen.findByRole('alert')).textContent).toMatch(/^Not attached: video\.mp4 \(2\.00 GB\)\. At most 25\.0 MB/);
    await screen.findByText('small.txt');
    expect(screen.queryByText('video.mp4')).toBeNull();
    expect(read).not.toHaveBeenCalled();
  });

  it('text typed after Escape, while the closing save is under way, is saved too before the screen closes', async () => {
    const { api, calls } = fakeApi();
    const gates: (() => void)[] = [];
    const saveDraft = api.saveDraft;
    // Each save is answered only when the test says so (the original records the call at once).
    (api as unknown as { saveDraft: unknown }).saveDraft = (input: never) => {
      const answer = saveDraft(input);
      return new Promise((resolve) => gates.push(() => resolve(answer)));
    };
    const onClose = vi.fn();
    render(<ComposeForm api={api} draft={{ ...DRAFT, subject: 'Notes' }} accounts={[ACCOUNT]} onClose={onClose} onSent={() => {}} onDiscarded={() => {}} />);
    const body = screen.getByLabelText('Message text');
    fireEvent.change(body, { target: { value: 'First line' } });
    fireEvent.keyDown(body, { key: 'Escape' });
    await waitFor(() => expect(calls.saveDraft).toHaveLength(1));
    fireEvent.change(body, { target: { value: 'First line\nand the last words' } });
    await act(async () => gates.shift()!());
    await waitFor(() => expect(calls.saveDraft).toHaveLength(2));
    expect(onClose).not.toHaveBeenCalled();
    expect(calls.saveDraft[1]).toMatchObject({ draftId: 'd1', text: 'First line\nand the last words' });
    await act(async () => gates.shift()!());
    await waitFor(() => expect(onClose).toHaveBeenCalledTimes(1));
    expect(calls.saveDraft).toHaveLength(2);
  });

  it('Discard asks in the app’s own dialog, then deletes the draft for good', async () => {
    const { api, calls } = fakeApi();
    const onDiscarded = vi.fn();
    render(<ComposeForm api={api} draft={{ ...DRAFT, draftId: 'd9', subject: 'x' }} accounts={[ACCOUNT]} onClose={() => {}} onSent={() => {}} onDiscarded={onDiscarded} />);
    fireEvent.click(screen.getByRole('button', { name: 'Discard draft' }));
    const dialog = screen.getByRole('dialog', { name: 'Discard this draft?' });
    fireEvent.click(dialog.querySelector('button.danger')!);
    await waitFor(() => expect(onDiscarded).toHaveBeenCalled());
    expect(calls.deleteForGood).toEqual([{ ids: ['d9'] }]);
  });
});

describe('Undo on "Sending…"', () => {
  function Host({ api }: { api: PopboxApi }) {
    const composer = useComposer(api, [ACCOUNT]);
    return (
      <>
        <button type="button" onClick={() => composer.open({ mode: 'new', accountId: 'acc' })}>
          Write
        </button>
        {composer.element}
      </>
    );
  }
  const hostApi = () => {
    const { api, calls } = fakeApi();
    const ok = (value: unknown) => Promise.resolve({ ok: true, value });
    Object.assign(api, {
      composeFrom: () => ok(DRAFT),
      openDraft: (input: { id: string }) => ok({ ...DRAFT, draftId: input.id, to: ['ann@example.org'], subject: 'Sent by mistake', text: 'Oops' }),
      cancelSend: (input: { id: string }) => (calls.cancelSend.push(input), ok(null)),
      outboxStatus: () => ok(outbox),
      on: (event: string, fn: (e: { accountId: string }) => void) => {
        if (event === 'outboxChanged') listeners.add(fn);
        return () => listeners.delete(fn);
      },
    });
    let outbox: { id: string; state: string }[] = [{ id: 'out1', state: 'waiting' }];
    const listeners = new Set<(e: { accountId: string }) => void>();
    /** The Outbox as main has it now, told down the change feed. */
    const outboxBecomes = async (items: { id: string; state: string }[]) => {
      await waitFor(() => expect(listeners.size).toBe(1));
      outbox = items;
      act(() => listeners.forEach((fn) => fn({ accountId: 'acc' })));
    };
    const outboxIs = (items: { id: string; state: string }[]) => void (outbox = items);
    return { api, calls, outboxBecomes, outboxIs };
  };
  const sendOne = async () => {
    fireEvent.click(screen.getByRole('button', { name: 'Write' }));
    const to = await screen.findByRole('combobox', { name: 'To' });
    fireEvent.change(to, { target: { value: 'ann@example.org' } });
    fireEvent.keyDown(to, { key: 'Enter' });
    fireEvent.change(screen.getByLabelText('Subject'), { target: { value: 'Sent by mistake' } });
    fireEvent.change(screen.getByLabelText('Message text'), { target: { value: 'Oops' } });
    fireEvent.click(screen.getByRole('button', { name: 'Send' }));
    // The Send button itself reads "Sending…" until the panel closes: the note's text counts only after.
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    await screen.findByText('Sending…');
  };

  it('with no compose panel open, Undo brings the message back into one', async () => {
    const { api, calls } = hostApi();
    render(<Host api={api} />);
    await sendOne();
    expect(screen.queryByRole('dialog')).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Undo' }));
    await waitFor(() => expect(calls.cancelSend).toEqual([{ id: 'out1' }]));
    expect(((await screen.findByLabelText('Message text')) as HTMLTextAreaElement).value).toBe('Oops');
  });

  it('once the server took the message the note says "Sent" with its subject; a failure leaves it to the Outbox as before', async () => {
    const { api, outboxBecomes, outboxIs } = hostApi();
    render(<Host api={api} />);
    await sendOne();
    await outboxBecomes([{ id: 'out1', state: 'sending' }]);
    await new Promise((r) => setTimeout(r, 50));
    expect(screen.getByText('Sending…')).toBeTruthy();
    await outboxBecomes([]);
    await screen.findByText('Sent “Sent by mistake”.');
    expect(screen.queryByRole('button', { name: 'Undo' })).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Dismiss' }));

    outboxIs([{ id: 'out1', state: 'waiting' }]);
    await sendOne();
    await outboxBecomes([{ id: 'out1', state: 'failed' }]);
    await waitFor(() => expect(screen.queryByText('Sending…')).toBeNull());
    expect(screen.queryByText(/^Sent/)).toBeNull();
  });

  it('while the user writes in another panel, Undo leaves that panel alone and says the message is in Drafts', async () => {
    const { api, calls } = hostApi();
    render(<Host api={api} />);
    await sendOne();
    fireEvent.click(screen.getByRole('button', { name: 'Write' }));
    const text = (await screen.findByLabelText('Message text')) as HTMLTextAreaElement;
    fireEvent.change(text, { target: { value: 'A new message, half written' } });
    fireEvent.click(screen.getByRole('button', { name: 'Undo' }));
    await waitFor(() => expect(calls.cancelSend).toEqual([{ id: 'out1' }]));
    await screen.findByText('Undone: the message is in Drafts.');
    expect((screen.getByLabelText('Message text') as HTMLTextAreaElement).value).toBe('A new message, half written');
    expect(screen.getAllByRole('dialog')).toHaveLength(1);
  });
});

describe('compose windows in Electron', () => {
  function Host({ api }: { api: PopboxApi }) {
    const composer = useComposer(api, [ACCOUNT]);
    return (
      <>
        <button type="button" onClick={() => composer.open({ mode: 'new', accountId: 'acc' })}>
          Write
        </button>
        <button type="button" onClick={() => composer.open({ mode: 'draft', id: 'd7' })}>
          Open draft
        </button>
        {composer.element}
      </>
    );
  }
  afterEach(() => {
    delete (window as { popbox?: unknown }).popbox;
    vi.restoreAllMocks();
  });

  it('when the shell refuses another window, the page says why and opens no panel instead; a draft already open just comes to the front', async () => {
    const { api } = fakeApi();
    (window as { popbox?: unknown }).popbox = api;
    const shown = { closed: false } as Window;
    let allow = true;
    const open = vi.spyOn(window, 'open').mockImplementation(() => (allow ? shown : null));
    render(<Host api={api} />);
    fireEvent.click(screen.getByRole('button', { name: 'Open draft' }));
    expect(open).toHaveBeenLastCalledWith('#compose?mode=draft&id=d7', '_blank', 'popup,width=780,height=680');
    // The same draft again: the shell brings its window to the front and opens none.
    allow = false;
    fireEvent.click(screen.getByRole('button', { name: 'Open draft' }));
    expect(open).toHaveBeenCalledTimes(2);
    expect(screen.queryByRole('alert')).toBeNull();
    // Ten windows open already: refused, and said.
    fireEvent.click(screen.getByRole('button', { name: 'Write' }));
    expect((await screen.findByRole('alert')).textContent).toMatch(/^Not opened: at most 10 compose windows can be open at once\. Close one to write another\./);
    await new Promise((r) => setTimeout(r, 50));
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(screen.queryByLabelText('Message text')).toBeNull();
  });
});
