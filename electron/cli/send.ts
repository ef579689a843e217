/**
 * Sending from the CLI (issue 15): `send` builds the message as one of the account's identities
 * and files it in the account's Outbox (MailService.send); `outbox` lists what waits there and
 * settles it (send again, mark as sent, discard, back to Drafts).
 *
 * `send` waits until its message has left the Outbox's hands one way or the other, then says
 * which: sent (exit 0), refused by the server or cannot be sent as set up (exit 1), may have been
 * sent (exit 1: the server took the message but its answer was lost; `outbox` shows it and the
 * user decides), or waiting to be tried again (offline, the server busy: exit 0, with when).
 * A waiting message is not lost: the app's sender tries it again when it is due, and so does any
 * popbox command that opens the data directory while the app is not running. While the app runs
 * the command runs inside it (control socket) and the app's own sender sends it.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { detectMimeType } from 'nodemailer/lib/mime-funcs';
import type { AttachmentFile } from '../core/compose/build-message.js';
import { AppFailure } from '../core/errors.js';
import type { MailService } from '../core/mail-service.js';
import { MaybeSentRefusal, type OutboxEvent, type OutboxItem } from '../core/outbox/index.js';
import { cliIo, parse, plural, print, printError, terminalWidth, usage, withService } from './common.js';
import { fitColumn } from './columns.js';

export const SEND_USAGE = `  send --account NAME --to ADDR [--to ADDR…] [--cc ADDR…] [--bcc ADDR…] --subject S
        (--body TEXT | --body-file F | the body on standard input) [--attach FILE…]
        [--identity ADDR] [--now | --later TIME]   (without --now it waits the 5 s undo window
        first; the command ends once the message is sent, refused, or waiting to be retried;
        --later 2026-12-24T08:00 queues it for then and ends at once)
  outbox [--account NAME] [--json]
  outbox send|retry [ID…]    send now (no ID: every message waiting or being retried)
  outbox discard ID…  |  mark-sent ID  |  cancel ID   (cancel: back to Drafts, unsent)`;

/** Larger attachments are refused before anything is read (SMTP servers refuse them anyway). */
const ATTACH_MAX_BYTES = 25 * 1024 * 1024;

function when(ms: number | null): string {
  return ms === null ? '' : new Date(ms).toLocaleString();
}

/** How a message left the Outbox's hands, as `send` and `outbox resend` report it. */
type Outcome = { kind: 'sent'; response: string; rejected: string[] } | { kind: 'left'; folder: string | null } | { kind: 'item'; item: OutboxItem };

/**
 * Runs `start` (which queues or re-queues message(s)) and resolves with what became of the one
 * whose id it returns: sent, left the Outbox otherwise, or a state that needs no waiting for
 * (retrying, failed, may have been sent). Events are collected from before `start`, so none is
 * missed however fast the sender is.
 */
async function untilSettled(s: MailService, start: () => Promise<string>): Promise<{ id: string; outcome: Outcome }> {
  const seen: OutboxEvent[] = [];
  let wake = () => {};
  const off = s.onOutbox((e) => {
    seen.push(e);
    wake();
  });
  try {
    const id = await start();
    for (;;) {
      while (seen.length) {
        const e = seen.shift()!;
        if (e.kind === 'sent' && e.id === id) return { id, outcome: { kind: 'sent', response: e.response, rejected: e.rejected.map((r) => `${r.address}: ${r.serverText ?? r.code}`) } };
        if (e.kind === 'left' && e.id === id) return { id, outcome: { kind: 'left', folder: e.folder } };
        if (e.kind === 'changed' && e.item.id === id && (e.item.state === 'retrying' || e.item.state === 'failed' || e.item.state === 'maybe-sent')) {
          return { id, outcome: { kind: 'item', item: e.item } };
        }
      }
      await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    off();
  }
}

/** What became of the message, in plain words; the exit code. */
function report(id: string, outcome: Outcome): number {
  switch (outcome.kind) {
    case 'sent':
      print(`sent ${id} (the server said: ${outcome.response.trim()})`);
      for (const r of outcome.rejected) printError(`popbox: the server refused one recipient: ${r}`);
      return 0;
    case 'left':
      print(`${id} left the Outbox without being sent${outcome.folder ? ` (now in ${outcome.folder})` : ''}`);
      return 1;
    case 'item': {
      const { item } = outcome;
      const why = item.lastError ? `${item.lastError.code}: ${item.lastError.message}` : '';
      if (item.state === 'retrying') {
        print(`${id} waits in the Outbox: ${why}`);
        print(`it will be tried again at ${when(item.nextAttemptAt)} (by Popbox when the app runs, or by the next "popbox send"); "popbox outbox" shows it`);
        return 0;
      }
      if (item.state === 'maybe-sent') {
        printError(`popbox: ${id} may have been sent: ${why}`);
        printError(`it stays in the Outbox: "popbox outbox resend ${id}" sends it again, "popbox outbox mark-sent ${id}" files it in Sent`);
        return 1;
      }
      printError(`popbox: ${id} was not sent: ${why}`);
      printError(`it stays in the Outbox: fix what is wrong, then "popbox outbox resend ${id}" (or "popbox outbox discard ${id}")`);
      return 1;
    }
  }
}

async function readBody(values: { body?: string | undefined; 'body-file'?: string | undefined }): Promise<string> {
  if (values.body !== undefined && values['body-file'] !== undefined) usage('give --body or --body-file, not both');
  if (values.body !== undefined) return values.body;
  if (values['body-file'] !== undefined) {
    return fs.readFile(values['body-file'], 'utf8').catch((e: NodeJS.ErrnoException) => {
      throw new AppFailure('invalid', `--body-file ${values['body-file']}: ${e.code === 'ENOENT' ? 'no such file' : (e.code ?? e.message)}`);
    });
  }
  const text = cliIo().stdin();
  if (text === undefined) usage('send needs --body, --body-file or the body on standard input');
  return text;
}

/**
 * The file named, as build-message reads it: streamed from disk while the message is built, never
 * read whole here. Through the control socket this runs in the app's process, the same user's.
 */
async function readAttachment(file: string): Promise<{ filename: string; contentType: string; content: AttachmentFile }> {
  const fail = (why: string) => new AppFailure('invalid', `--attach ${file}: ${why}`);
  const st = await fs.stat(file).catch((e: NodeJS.ErrnoException) => {
    throw fail(e.code === 'ENOENT' ? 'no such file' : (e.code ?? e.message));
  });
  if (!st.isFile()) throw fail('not a file');
  if (st.size > ATTACH_MAX_BYTES) throw fail(`larger than ${ATTACH_MAX_BYTES / 1024 / 1024} MB`);
  const filename = path.basename(file);
  return { filename, contentType: detectMimeType(path.extname(filename).slice(1)), content: { file: path.resolve(file), size: st.size } };
}

/** --later's time: an ISO date and time (local time unless it says otherwise), in the future. */
function laterTime(text: string): number {
  const at = /^\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)?$/.test(text.trim()) ? Date.parse(text.trim().replace(' ', 'T')) : NaN;
  if (!Number.isFinite(at)) usage(`--later ${JSON.stringify(text)}: give a date and time like 2026-12-24T08:00 (local time) or 2026-12-24T07:00Z`);
  if (at <= Date.now()) usage(`--later ${text}: that time has passed (it is ${new Date().toLocaleString()} now)`);
  return at;
}

/** The identity with this address in the account (the CLI names identities by address). */
function identityByAddress(s: MailService, account: string, address: string): string {
  const a = s.accounts.get(account);
  const found = a.identities.find((i) => i.address.toLowerCase() === address.toLowerCase());
  if (!found) {
    const known = a.identities.map((i) => i.address).join(', ');
    throw new AppFailure('invalid', `account "${a.name}" has no identity ${address} (its identities: ${known || 'none'}; add one with "popbox identity add")`);
  }
  return found.id;
}

function outboxRow(item: OutboxItem, account: string, width: number): string {
  const head = `${item.id}  ${fitColumn(account, 12)}  ${item.state.padEnd(10)}  ${plural(item.attempts, 'attempt').padEnd(10)}  ${when(item.nextAttemptAt).padEnd(22)}  `;
  const err = item.lastError ? `${item.lastError.code}: ${item.lastError.message}` : '';
  return `${head}${fitColumn(err, Math.max(10, width - head.length), false)}`;
}

export async function sendCommand(dataDir: string, command: string, args: string[]): Promise<number> {
  if (command === 'send') {
    const { values, positionals } = parse(args, {
      account: { type: 'string' },
      to: { type: 'string', multiple: true },
      cc: { type: 'string', multiple: true },
      bcc: { type: 'string', multiple: true },
      subject: { type: 'string' },
      body: { type: 'string' },
      'body-file': { type: 'string' },
      attach: { type: 'string', multiple: true },
      identity: { type: 'string' },
      now: { type: 'boolean' },
      later: { type: 'string' },
    });
    if (positionals.length) usage('send takes no arguments: recipients go in --to, --cc, --bcc');
    if (values.now && values.later !== undefined) usage('give --now or --later, not both');
    const sendAt = values.later !== undefined ? laterTime(values.later) : undefined;
    if (values.account === undefined) usage('send needs --account NAME');
    if (!values.to?.length && !values.cc?.length && !values.bcc?.length) usage('send needs at least one --to (or --cc, --bcc)');
    if (values.subject === undefined) usage('send needs --subject (it may be empty: --subject "")');
    const text = await readBody(values);
    const attachments = await Promise.all((values.attach ?? []).map(readAttachment));
    const account = values.account;
    return withService(dataDir, async (s) => {
      const identityId = values.identity !== undefined ? identityByAddress(s, account, values.identity) : undefined;
      if (sendAt !== undefined) {
        // Send later: on disk in the Outbox now; the app (or a later "popbox send") sends it then.
        const queued = await s.send({ accountId: account, ...(identityId !== undefined ? { identityId } : {}), to: values.to ?? [], cc: values.cc ?? [], bcc: values.bcc ?? [], subject: values.subject!, text, attachments, sendAt });
        print(`${queued.id} is in the Outbox and will be sent at ${when(sendAt)} (by Popbox when the app runs, or by the next "popbox send" after that time)`);
        return 0;
      }
      const { id, outcome } = await untilSettled(s, async () => {
        const sent = await s.send({
          accountId: account,
          ...(identityId !== undefined ? { identityId } : {}),
          to: values.to ?? [],
          cc: values.cc ?? [],
          bcc: values.bcc ?? [],
          subject: values.subject!,
          text,
          attachments,
          now: values.now === true,
        });
        if (!values.now) print(`${sent.id} is in the Outbox; it goes out in a few seconds ("popbox outbox cancel ${sent.id}" from another terminal while Popbox runs takes it back)`);
        return sent.id;
      });
      return report(id, outcome);
      // Sending: what else waits in the Outbox goes out too (as msmtp's queue flush does).
    }, { sendQueued: true });
  }

  // outbox
  const [sub, ...rest] = args;
  if (sub === 'send' || sub === 'retry' || (sub === 'resend' && rest.length !== 1)) {
    const { values, positionals } = parse(rest, { account: { type: 'string' } });
    return withService(dataDir, async (s) => {
      let ids = positionals;
      if (ids.length === 0) {
        // Every message waiting (undo window, send later, backoff): never one that may have been
        // sent or that a server refused, which need the user to name them.
        const accountId = values.account !== undefined ? s.accounts.get(values.account).id : undefined;
        ids = (await s.outboxStatus(accountId)).filter((i) => i.state === 'waiting' || i.state === 'retrying').map((i) => i.id);
        if (ids.length === 0) {
          print('nothing waits in the Outbox');
          return 0;
        }
      }
      // An ID typed at the terminal is the person's say-so, even for a message that may have been
      // sent (the app asks in a native dialog instead); a message picked here from the list is not:
      // one that became "may have been sent" since the list was read is left for them to decide.
      const confirmed = positionals.length > 0;
      let code = 0;
      for (const id of ids) {
        try {
          const { outcome } = await untilSettled(s, async () => {
            await s.resendMessage(id, { confirmed });
            return id;
          });
          code = Math.max(code, report(id, outcome));
        } catch (e) {
          if (confirmed || !(e instanceof MaybeSentRefusal)) throw e;
          printError(`popbox: ${id} may have been sent meanwhile: not sent again; "popbox outbox send ${id}" sends it if you are sure`);
          code = 1;
        }
      }
      return code;
    }, { sendQueued: true });
  }
  if (sub === 'discard') {
    const { positionals } = parse(rest, {});
    if (positionals.length === 0) usage('outbox discard takes one or more message IDs');
    return withService(dataDir, async (s) => {
      const items = new Map((await s.outboxStatus()).map((i) => [i.id, i]));
      for (const id of positionals) {
        const item = items.get(id);
        await s.discardQueued(id);
        // Mail someone already has never goes to Trash: it is filed in Sent (with its note).
        if (item?.state === 'sent') print(`dismissed the note on ${id} (it was sent, and stays in Sent)`);
        else if (item?.sentTo?.length) print(`filed ${id} in Sent (it reached ${item.sentTo.join(', ')}; not tried again for the others)`);
        else print(`moved ${id} to Trash, unsent`);
      }
      return 0;
    });
  }
  if (sub === 'resend' || sub === 'mark-sent' || sub === 'cancel') {
    const { positionals } = parse(rest, {});
    if (positionals.length !== 1) usage(`outbox ${sub} takes exactly one message ID`);
    const id = positionals[0]!;
    return withService(dataDir, async (s) => {
      if (sub === 'resend') {
        const { outcome } = await untilSettled(s, async () => {
          // A person at a terminal typed it: their say-so (the app asks in a native dialog instead).
          await s.resendMessage(id, { confirmed: true });
          return id;
        });
        return report(id, outcome);
      }
      if (sub === 'mark-sent') await s.markSent(id);
      else await s.cancelSend(id);
      print({ 'mark-sent': `filed ${id} in Sent`, cancel: `moved ${id} back to Drafts, unsent` }[sub]);
      return 0;
    });
  }
  const { values, positionals } = parse(args, { account: { type: 'string' }, json: { type: 'boolean' } });
  if (positionals.length) usage('outbox takes send, retry, discard, mark-sent or cancel with IDs, or no arguments');
  return withService(dataDir, async (s) => {
    const names = new Map(s.listAccounts().map((a) => [a.id, a.name]));
    const ids = values.account !== undefined ? [s.accounts.get(values.account).id] : [...names.keys()];
    const items: OutboxItem[] = [];
    for (const accountId of ids) items.push(...(await s.outboxStatus(accountId)));
    if (values.json) print(JSON.stringify(items.map((i) => ({ ...i, account: names.get(i.accountId) ?? i.accountId })), null, 2));
    else if (items.length === 0) print('the Outbox is empty');
    else {
      const width = terminalWidth();
      for (const item of items) print(outboxRow(item, names.get(item.accountId) ?? item.accountId, width));
    }
    return 0;
  });
}
