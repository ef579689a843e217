/**
 * The compose contract's own limits (the page is untrusted, DESIGN §3.8): Save draft is held to
 * the same totals as Send, so a page cannot make main build a message of a gigabyte by saving a
 * "draft" with a hundred 30 MB attachments.
 */
import { describe, expect, it } from 'vitest';
import { SaveDraft } from '../../shared/compose.js';
import { SendMessage } from '../../shared/contract.js';

const file = (mb: number, name: string) => ({ filename: name, content: Buffer.alloc(mb * 1024 * 1024, 1).toString('base64') });
const base = { accountId: 'acc', subject: 's', text: 't' };

describe('SaveDraft and SendMessage totals', () => {
  it('refuses attachments over 25 MB together, in a draft as in a message to send', () => {
    for (const schema of [SaveDraft, SendMessage]) {
      const r = schema.safeParse({ ...base, attachments: [file(13, 'a.bin'), file(13, 'b.bin')] });
      expect(r.success).toBe(false);
      expect(r.error?.issues.map((i) => i.message)).toContain('the attachments are too large together (at most 25 MB)');
    }
  });

  it('refuses more than 500 recipients in To, Cc and Bcc together', () => {
    const many = (n: number, d: string) => Array.from({ length: n }, (_, i) => `p${i}@${d}.example`);
    for (const schema of [SaveDraft, SendMessage]) {
      const r = schema.safeParse({ ...base, to: many(200, 'a'), cc: many(200, 'b'), bcc: many(101, 'c') });
      expect(r.success).toBe(false);
      expect(r.error?.issues[0]?.message).toBe('501 recipients: at most 500 in To, Cc and Bcc together');
    }
  });

  it('takes a draft within the limits (To may be empty while writing)', () => {
    expect(SaveDraft.safeParse({ ...base, attachments: [file(12, 'a.bin'), file(12, 'b.bin')] }).success).toBe(true);
  });
});
