/** What the Outbox says about each message: when it goes, and why it did not, in plain words. */
import { describe, expect, it } from 'vitest';
import type { OutboxRefusal } from '../../shared/contract.js';
import { formatTime } from '../../renderer/src/app/format.js';
import { problemText, refusedText, stateText, waitingText, whenText, type OutboxEntry } from '../../renderer/src/features/outbox/outbox-text.js';

const NOW = new Date(2026, 11, 6, 17, 0, 0).getTime();
const item = (over: Partial<OutboxEntry>): OutboxEntry => ({ id: 'm1', accountId: 'a', state: 'waiting', attempts: 0, nextAttemptAt: null, lastError: null, from: 'alice@example.org', to: ['bob@example.org'], queuedAt: NOW, sentTo: [], refused: [], ...over });
const clock = (ms: number) => formatTime(ms);

describe('when a message goes', () => {
  it('counts seconds under a minute, says the time today and the day otherwise', () => {
    expect(whenText(NOW + 3_200, NOW)).toBe('in 4 s');
    expect(whenText(NOW - 5_000, NOW)).toBe('in 0 s');
    const six = new Date(2026, 11, 6, 18, 0).getTime();
    expect(whenText(six, NOW)).toBe(`at ${clock(six)}`);
    expect(whenText(six + 86_400_000, NOW)).toMatch(new RegExp(`^on .*7.* at ${clock(six)}$`));
  });

  it('waiting: "Sends in 4 s" / "Sends at 18:00"', () => {
    expect(stateText(item({ nextAttemptAt: NOW + 4_000 }), NOW).headline).toBe('Sends in 4 s');
    const six = new Date(2026, 11, 6, 18, 0).getTime();
    expect(stateText(item({ nextAttemptAt: six }), NOW).headline).toBe(`Sends at ${clock(six)}`);
  });
});

describe('what went wrong, in plain words', () => {
  it('retrying: when it is tried again and why (no network)', () => {
    const at = NOW + 5 * 60_000;
    const s = stateText(item({ state: 'retrying', nextAttemptAt: at, attempts: 1, lastError: { code: 'network', message: 'could not connect to 127.0.0.1:2525 (ECONNREFUSED)' } }), NOW);
    expect(s.headline).toBe(`Not sent yet: will try again at ${clock(at)}`);
    expect(s.problem?.text).toBe('Popbox could not reach the outgoing server (no network, or the server is down).');
    expect(s.tone).toBe('warning');
  });

  it('maybe-sent says the recipients may have it', () => {
    const s = stateText(item({ state: 'maybe-sent', lastError: { code: 'network', message: 'the connection to x was lost' } }), NOW);
    expect(s.headline).toBe('May have been sent');
    expect(s.problem?.text).toMatch(/may have it already/);
  });

  it('an unknown recipient: who, what it means, and the server’s words', () => {
    const p = problemText({ code: 'rejected', message: '127.0.0.1:25 refused nobody@example.org: the server said 550 Recipient address rejected: User unknown in virtual mailbox table', serverText: '<nobody@example.org>: Recipient address rejected: User unknown in virtual mailbox table', responseCode: 550 });
    expect(p.text).toBe('Not sent to nobody@example.org: unknown recipient. Check the address, then send it again. The server said: “550 <nobody@example.org>: Recipient address rejected: User unknown in virtual mailbox table”.');
    expect(p.fix).toBeNull();
  });

  it('relay denied, too big, and a refused password (which offers the password)', () => {
    expect(problemText({ code: 'rejected', message: 'x refused carol@elsewhere.net', serverText: '<carol@elsewhere.net>: Relay access denied', responseCode: 554 }).text).toMatch(/^The outgoing server will not pass this message on \(relay denied\)/);
    // An international address through a server without SMTPUTF8: the address is named, no "lacks something".
    expect(problemText({ code: 'unsupported', message: 'jörg@example.org needs a server that accepts international addresses (SMTPUTF8); this one (127.0.0.1:465) does not' }).text).toBe(
      'Not sent: jörg@example.org needs a server that accepts international addresses (SMTPUTF8); this one (127.0.0.1:465) does not. Write to another address of theirs, or send through an outgoing server that accepts such addresses.',
    );
    expect(problemText({ code: 'size', message: 'the message is larger than x accepts', serverText: 'Message size exceeds fixed limit', responseCode: 552 }).text).toMatch(/^The message is too big for the outgoing server\..*“552 Message size exceeds fixed limit”/);
    const auth = problemText({ code: 'auth', message: 'x refused the user name or password', serverText: 'Error: authentication failed', responseCode: 535 });
    expect(auth.fix).toBe('password');
    expect(auth.text).toMatch(/^The outgoing server refused the user name or password\. Enter the password/);
    expect(problemText({ code: 'invalid', message: 'account "Home" has no outgoing server: set one up' }).fix).toBe('settings');
  });

  it('failed always says why, even without an error', () => {
    const s = stateText(item({ state: 'failed' }), NOW);
    expect(s.headline).toBe('Not sent');
    expect(s.problem?.text).toBe('The outgoing server refused the message.');
  });

  it('recipients refused while the others got it, and the waiting count', () => {
    expect(refusedText([{ address: 'x@y.org', serverText: 'User unknown', responseCode: 550 }])).toBe('Sent, but not to x@y.org: unknown recipient (“550 User unknown”).');
    expect(waitingText(2)).toBe('2 messages waiting to be sent');
    expect(waitingText(1)).toBe('1 message waiting to be sent');
    expect(waitingText(0)).toBeNull();
  });

  it('sent, but refused by some for good: says who and why; refused for now: tried again for them alone', () => {
    // As main lists them (its own `message` too); the screen words them itself.
    const gone: OutboxRefusal[] = [{ address: 'nobody@example.org', permanent: true, message: 'not to nobody@example.org: unknown recipient', responseCode: 550, serverText: 'User unknown' }];
    const full: OutboxRefusal[] = [{ address: 'carol@example.org', permanent: false, message: 'not yet to carol@example.org: mailbox full', responseCode: 452, serverText: 'Mailbox full' }];
    const s = stateText(item({ state: 'sent', to: [], sentTo: ['bob@example.org'], refused: gone }), NOW);
    expect(s.headline).toBe('Sent, but not to everyone');
    expect(s.refusals).toBe('Sent, but not to nobody@example.org: unknown recipient (“550 User unknown”).');
    const later = stateText(item({ state: 'retrying', nextAttemptAt: NOW + 30_000, to: ['carol@example.org'], refused: full }), NOW);
    expect(later.refusals).toBe('Not yet delivered to carol@example.org (the server said “452 Mailbox full”): Popbox tries again for that recipient alone.');
    // A state this screen does not know yet still shows as something.
    expect(stateText(item({ state: 'parked' }), NOW).headline).toBe('parked');
  });
});
