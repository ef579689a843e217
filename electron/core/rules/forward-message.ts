/**
 * The message a filter's "forward to" sends: a short note and the original attached whole as
 * message/rfc822, from the account's default identity.
 *
 * As an attachment, not inline (Thunderbird's default "forward as attachment" for filters too):
 * the original arrives byte for byte — its headers, attachments and signatures (DKIM) intact,
 * so the recipient sees exactly who sent what, and no HTML of a stranger's message is rewritten
 * into a message in our name. It is not a redirect (resending the original with its own From),
 * which SPF/DMARC-checking servers refuse from us.
 */
import fs from 'node:fs/promises';
import type { AccountSettings } from '../../../shared/accounts.js';
import type { MessageRecord } from '../../../shared/changes.js';
import { buildMessage, MESSAGE_ID, pickIdentity, type BuiltMessage } from '../compose/build-message.js';
import { forwardSubject } from '../compose/subject.js';
import { AppFailure } from '../errors.js';
import { FORWARD_HEADERS, MAX_FORWARD_BYTES } from './forward.js';

const who = (m: MessageRecord) => m.summary.from.map((a) => (a.name ? `${a.name} <${a.address}>` : a.address)).join(', ') || '(unknown sender)';

export async function buildForward(account: AccountSettings, m: MessageRecord, file: string, to: string, rule: string, now: Date): Promise<BuiltMessage> {
  if (account.smtp === null) throw new AppFailure('invalid', `the account “${account.name}” has no outgoing server to forward with`);
  const identity = pickIdentity(account);
  const stat = await fs.stat(file);
  if (stat.size > MAX_FORWARD_BYTES) throw new AppFailure('invalid', `it is larger than ${MAX_FORWARD_BYTES / 1024 / 1024} MB`);
  const raw = await fs.readFile(file);
  const text = [
    `Popbox forwarded this message to you by the filter “${rule}” of ${identity.address}.`,
    '',
    `From: ${who(m)}`,
    ...(m.summary.date ? [`Date: ${m.summary.date}`] : []),
    `Subject: ${m.summary.subject}`,
    '',
    'The original is attached as it was received.',
    '',
  ].join('\n');
  return buildMessage(
    identity,
    {
      to: [to],
      subject: forwardSubject(m.summary.subject),
      text,
      ...(m.summary.messageId && MESSAGE_ID.test(m.summary.messageId) ? { references: [m.summary.messageId] } : {}),
      attachments: [{ filename: 'forwarded-message.eml', contentType: 'message/rfc822', content: raw }],
    },
    { now, headers: FORWARD_HEADERS },
  );
}
