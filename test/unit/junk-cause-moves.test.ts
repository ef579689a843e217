/**
 * Who the Junk bar says filed a message there, as MailService.moveMessages journals it: a move
 * into Junk by the person ("You moved this here."), and the Undo of a move out of Junk, which
 * passes back the cause the message had there (the filter and its score, or none recorded).
 */
import { afterEach, expect, it } from 'vitest';
import { contract } from '../../shared/contract.js';
import { MailService } from '../../electron/core/mail-service.js';
import { MemorySecretStore } from '../../electron/core/secrets/index.js';
import { messageFolder } from '../support/mime.js';

const tmp = messageFolder('popbox-junk-cause-moves-');
const open: MailService[] = [];

afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

it('a move into Junk by hand says "you moved"; an Undo of a move out of Junk says the earlier cause again', async () => {
  const s = await MailService.open({ dataDir: tmp.path('d1'), secrets: new MemorySecretStore(), sendQueued: false });
  open.push(s);
  const home = await s.addAccount(
    { name: 'Home', email: 'me@home.example', user: 'me', host: '127.0.0.1', port: 995, security: 'tls', password: { source: 'keychain' }, identities: [{ id: 'me', name: 'Me', address: 'me@home.example', default: true }] },
    'pw',
  );
  // A stored message of the account (a draft filed in the inbox).
  const { id } = await s.saveDraft({ accountId: home.id, to: [], subject: 'Cheap pills', text: 'x' });
  await s.moveMessages([id], 'INBOX');
  const cause = () => s.messages().find((m) => m.id === id)?.junkedBy;
  expect(cause()).toBeUndefined();

  await s.moveMessages([id], 'Junk');
  expect(cause()).toEqual({ by: 'you', moved: true });
  await s.moveMessages([id], 'INBOX');
  expect(cause()).toBeUndefined();
  // The Undo of moving the filter's catch out of Junk: the filter's word and score, as before.
  await s.moveMessages([id], 'Junk', { by: 'filter', score: 0.9993 });
  expect(s.messages().find((m) => m.id === id)).toMatchObject({ folder: 'Junk', junkedBy: { by: 'filter', score: 0.9993 } });
  // Filed before causes were recorded: the Undo says none (the bar's "This message is in Junk.").
  await s.moveMessages([id], 'INBOX');
  await s.moveMessages([id], 'Junk', null);
  expect(s.messages().find((m) => m.id === id)?.folder).toBe('Junk');
  expect(cause()).toBeUndefined();
});

it('a cause from the screens names a rule only as a rule name can read: bounded, no line breaks or direction marks', () => {
  const move = (rule: string) => contract.moveMessages.input.safeParse({ ids: ['m1'], folder: 'Junk', junkedBy: { by: 'rule', rule } }).success;
  expect(move('Offers')).toBe(true);
  expect(move('x'.repeat(101))).toBe(false);
  expect(move('Offers\u202e evil')).toBe(false);
  expect(move('two\nlines')).toBe(false);
});
