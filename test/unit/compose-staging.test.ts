/**
 * Staged attachments (issue 15 §5; DESIGN §3.8): the compose screen sends a new file 1 MB at a
 * time (stageAttachment) and Send / Save draft name it by the random upload id main gave it, so
 * no 35 MB base64 string crosses the contract whole. Driven through the dispatcher as a page
 * drives it, hostile calls included: every bound holds, another account's or an unknown upload
 * is refused, and what was staged reaches the Outbox and Drafts byte for byte, then goes.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { STAGING_LIMITS } from '../../shared/compose.js';
import type { Result } from '../../shared/contract.js';
import { createDispatcher, mailServiceHandlers } from '../../electron/core/contract-handler.js';
import { MailService } from '../../electron/core/mail-service.js';
import { MemorySecretStore } from '../../electron/core/secrets/index.js';
import { messageFolder, noise } from '../support/mime.js';

const tmp = messageFolder('popbox-compose-staging-');
const MB = 1024 * 1024;
let n = 0;
const open: MailService[] = [];

afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

async function service(opts: { now?: () => number; dataDir?: string } = {}) {
  const dataDir = opts.dataDir ?? tmp.path(`d${++n}`);
  const s = await MailService.open({ dataDir, secrets: new MemorySecretStore(), sendQueued: false, ...(opts.now ? { now: opts.now } : {}) });
  open.push(s);
  const base = { host: '127.0.0.1', port: 995, security: 'tls' as const, password: { source: 'keychain' as const } };
  const smtp = { host: '127.0.0.1', port: 465, security: 'tls' as const, user: 'me', password: { source: 'incoming' as const } };
  const accounts = s.listAccounts();
  const home = accounts.find((a) => a.name === 'Home') ?? (await s.addAccount({ ...base, name: 'Home', email: 'me@home.example', user: 'me', smtp }, 'pw'));
  const work = accounts.find((a) => a.name === 'Work') ?? (await s.addAccount({ ...base, name: 'Work', email: 'me@work.example', user: 'w', smtp }, 'pw'));
  const dispatch = createDispatcher(mailServiceHandlers(s, { chooseSaveDestination: async () => null }));
  const call = async <T>(method: string, input: unknown): Promise<T> => {
    const r = (await dispatch(method, input)) as Result<T>;
    if (!r.ok) throw Object.assign(new Error(r.error.message), r.error);
    return r.value;
  };
  return { s, dataDir, home, work, dispatch, call };
}

type Call = Awaited<ReturnType<typeof service>>['call'];

/** A file staged as the compose screen does it: 1 MB chunks, in order, the last one final. */
async function stageFile(call: Call, accountId: string, bytes: Buffer, filename = 'file.bin', contentType = 'application/octet-stream'): Promise<string> {
  let uploadId: string | undefined;
  let offset = 0;
  do {
    const chunk = bytes.subarray(offset, offset + MB);
    const final = offset + chunk.length >= bytes.length;
    const r = await call<{ uploadId: string; size: number }>('stageAttachment', { accountId, ...(uploadId ? { uploadId } : {}), filename, contentType, offset, chunk: chunk.toString('base64'), final });
    uploadId = r.uploadId;
    offset += chunk.length;
    expect(r.size).toBe(offset);
  } while (offset < bytes.length);
  return uploadId!;
}

const sendingDir = (dataDir: string, accountId: string) => path.join(dataDir, 'accounts', accountId, 'sending');
const uploads = async (dataDir: string, accountId: string) => (await fs.readdir(sendingDir(dataDir, accountId)).catch(() => [] as string[])).filter((f) => f.startsWith('upload-'));

describe('staged attachments', () => {
  it('a 2.5 MB file staged in three chunks is sent byte for byte; the staged file (0600, beside the Maildir) is gone after Send and its id no longer works', async () => {
    const { s, dataDir, home, call } = await service();
    const file = noise(2.5 * MB, 3);
    const uploadId = await stageFile(call, home.id, file, 'photo.jpg', 'image/jpeg');
    expect(uploadId).toMatch(/^[0-9a-f]{32}$/);
    const [name] = await uploads(dataDir, home.id);
    const st = await fs.stat(path.join(sendingDir(dataDir, home.id), name!));
    expect(st.mode & 0o777).toBe(0o600);
    expect(st.size).toBe(file.length);

    const sent = await call<{ id: string }>('send', { accountId: home.id, to: ['bob@example.org'], subject: 'photo', text: 'see attached', stagedAttachments: [{ uploadId }] });
    const dest = tmp.path(`out${n}.jpg`);
    await s.saveAttachment(sent.id, '1', dest);
    expect((await fs.readFile(dest)).equals(file)).toBe(true);
    expect((await s.messageBody(sent.id)).attachments).toMatchObject([{ filename: 'photo.jpg', contentType: 'image/jpeg', size: file.length }]);
    expect(await uploads(dataDir, home.id)).toEqual([]);
    await expect(call('send', { accountId: home.id, to: ['bob@example.org'], subject: 'again', text: 'x', stagedAttachments: [{ uploadId }] })).rejects.toMatchObject({ code: 'not-found' });
  });

  it('Save draft with a staged file stores it byte for byte (then it is the draft\'s stored attachment) and the staged file goes; a failed Send keeps it for another try', async () => {
    const { s, dataDir, home, call } = await service();
    const file = noise(1.5 * MB, 9);
    const uploadId = await stageFile(call, home.id, file, 'notes.pdf', 'application/pdf');
    // No recipients: refused, and the upload stays usable.
    await expect(call('send', { accountId: home.id, to: [], subject: 'x', text: 'x', stagedAttachments: [{ uploadId }] })).rejects.toMatchObject({ code: 'invalid' });
    expect(await uploads(dataDir, home.id)).toHaveLength(1);
    const saved = await call<{ id: string; storedAttachments: { attachmentId?: string; size: number }[] }>('saveDraft', { accountId: home.id, to: [], subject: 'draft', text: 'x', stagedAttachments: [{ uploadId }] });
    expect(saved.storedAttachments).toMatchObject([{ id: saved.id, attachmentId: '1', filename: 'notes.pdf', size: file.length }]);
    const dest = tmp.path(`draft${n}.pdf`);
    await s.saveAttachment(saved.id, '1', dest);
    expect((await fs.readFile(dest)).equals(file)).toBe(true);
    expect(await uploads(dataDir, home.id)).toEqual([]);
  });

  it('chunks go in order, once each; a finished upload takes no more; an unfinished one cannot be sent; bad base64 and oversized chunks are refused', async () => {
    const { home, call, dispatch } = await service();
    const a = noise(MB, 1);
    const first = await call<{ uploadId: string }>('stageAttachment', { accountId: home.id, filename: 'a', offset: 0, chunk: a.toString('base64'), final: false });
    const next = { accountId: home.id, uploadId: first.uploadId, filename: 'a', chunk: a.toString('base64'), final: false };
    await expect(call('stageAttachment', { ...next, offset: 0 })).rejects.toMatchObject({ code: 'invalid', message: expect.stringMatching(/in order/) });
    await expect(call('stageAttachment', { ...next, offset: 2 * MB })).rejects.toMatchObject({ code: 'invalid' });
    await expect(call('send', { accountId: home.id, to: ['b@example.org'], subject: 'x', text: 'x', stagedAttachments: [{ uploadId: first.uploadId }] })).rejects.toMatchObject({ message: expect.stringMatching(/not finished uploading/) });
    await call('stageAttachment', { ...next, offset: MB, final: true });
    await expect(call('stageAttachment', { ...next, offset: 2 * MB })).rejects.toMatchObject({ message: expect.stringMatching(/complete/) });
    expect(await dispatch('stageAttachment', { accountId: home.id, filename: 'b', offset: 0, chunk: Buffer.alloc(MB + 3).toString('base64'), final: true })).toMatchObject({ ok: false, error: { code: 'invalid' } });
    expect(await dispatch('stageAttachment', { accountId: home.id, filename: 'b', offset: 0, chunk: 'not base64!', final: true })).toMatchObject({ ok: false, error: { code: 'invalid' } });
    expect(await dispatch('stageAttachment', { accountId: home.id, filename: 'b', offset: 5, chunk: '', final: true })).toMatchObject({ ok: false, error: { code: 'invalid' } });
    // The same upload twice in one message.
    await expect(call('send', { accountId: home.id, to: ['b@example.org'], subject: 'x', text: 'x', stagedAttachments: [{ uploadId: first.uploadId }, { uploadId: first.uploadId }] })).rejects.toMatchObject({ code: 'invalid' });
  });

  it('a hostile page: another account\'s upload, an unknown id, a path for an id, and no From are all refused; nothing is queued', async () => {
    const { s, dataDir, home, work, call, dispatch } = await service();
    const workUpload = await stageFile(call, work.id, noise(1000, 2));
    // Appending to another account's upload, or sending it from this one: refused, as unknown.
    await expect(call('stageAttachment', { accountId: home.id, uploadId: workUpload, filename: 'x', offset: 1000, chunk: 'AAAA', final: true })).rejects.toMatchObject({ code: 'not-found' });
    await expect(call('send', { accountId: home.id, to: ['b@example.org'], subject: 'x', text: 'x', stagedAttachments: [{ uploadId: workUpload }] })).rejects.toMatchObject({ code: 'not-found' });
    await expect(call('saveDraft', { accountId: home.id, to: [], subject: 'x', text: 'x', stagedAttachments: [{ uploadId: 'f'.repeat(32) }] })).rejects.toMatchObject({ code: 'not-found' });
    for (const uploadId of ['../../../../etc/passwd', path.join(sendingDir(dataDir, work.id), 'upload-x.part'), 'F'.repeat(32)]) {
      expect(await dispatch('send', { accountId: home.id, to: ['b@example.org'], subject: 'x', text: 'x', stagedAttachments: [{ uploadId }] })).toMatchObject({ ok: false, error: { code: 'invalid' } });
    }
    expect(await dispatch('send', { accountId: home.id, to: ['b@example.org'], subject: 'x', text: 'x', stagedAttachments: [{ uploadId: workUpload, file: '/etc/passwd' }] })).toMatchObject({ ok: false, error: { code: 'invalid' } });
    expect(await dispatch('stageAttachment', { accountId: home.id, filename: 'x', offset: 0, chunk: '', final: true, path: '/tmp/x' })).toMatchObject({ ok: false, error: { code: 'invalid' } });
    expect(await dispatch('stageAttachment', { accountId: 'nobody', filename: 'x', offset: 0, chunk: '', final: true })).toMatchObject({ ok: false });
    expect(await s.outboxStatus()).toEqual([]);
    // The other account's upload is still there for its own messages.
    await call('send', { accountId: work.id, to: ['b@example.org'], subject: 'x', text: 'x', stagedAttachments: [{ uploadId: workUpload }] });
    expect(await s.outboxStatus()).toHaveLength(1);
  });

  it('bounded: 25 MB per upload and per account at once, 100 uploads in all', async () => {
    const { home, work, call } = await service();
    const chunk = Buffer.alloc(MB, 1).toString('base64');
    // 25 MB in one upload fits; one byte more does not.
    let big: string | undefined;
    for (let i = 0; i < 25; i++) big = (await call<{ uploadId: string }>('stageAttachment', { accountId: home.id, ...(big ? { uploadId: big } : {}), filename: 'big', offset: i * MB, chunk, final: false })).uploadId;
    await expect(call('stageAttachment', { accountId: home.id, uploadId: big, filename: 'big', offset: 25 * MB, chunk: 'AAAA', final: true })).rejects.toMatchObject({ message: expect.stringMatching(/too large to attach/) });
    // The account has its 25 MB staged: a second upload of it is refused; another account is not.
    await expect(call('stageAttachment', { accountId: home.id, filename: 'more', offset: 0, chunk: 'AAAA', final: true })).rejects.toMatchObject({ message: expect.stringMatching(/too large together/) });
    await call('stageAttachment', { accountId: work.id, filename: 'small', offset: 0, chunk: 'AAAA', final: true });
    for (let i = 1; i < STAGING_LIMITS.uploads - 1; i++) await call('stageAttachment', { accountId: work.id, filename: `f${i}`, offset: 0, chunk: 'AAAA', final: true });
    await expect(call('stageAttachment', { accountId: work.id, filename: 'one too many', offset: 0, chunk: 'AAAA', final: true })).rejects.toMatchObject({ message: expect.stringMatching(/Too many files/) });
  }, 60_000);

  it('uploads started together cannot pass the account\'s 25 MB together', async () => {
    const { dataDir, home, dispatch } = await service();
    const chunk = Buffer.alloc(MB, 2).toString('base64');
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => dispatch('stageAttachment', { accountId: home.id, filename: `f${i}`, offset: 0, chunk, final: true })));
    expect(results.filter((r) => r.ok)).toHaveLength(25);
    expect(await uploads(dataDir, home.id)).toHaveLength(25);
  });

  it('uploads never used go after a day; files a previous run left go when the account stages again', async () => {
    let now = Date.now();
    const first = await service({ now: () => now });
    const old = await stageFile(first.call, first.home.id, noise(100, 4));
    now += STAGING_LIMITS.maxAgeMs + 1;
    const fresh = await stageFile(first.call, first.home.id, noise(100, 5));
    await expect(first.call('send', { accountId: first.home.id, to: ['b@example.org'], subject: 'x', text: 'x', stagedAttachments: [{ uploadId: old }] })).rejects.toMatchObject({ code: 'not-found' });
    expect(await uploads(first.dataDir, first.home.id)).toEqual([`upload-${fresh}.part`]);
    await first.s.close();
    open.length = 0;
    // A new run: the id died with the old one, and its file goes once the account stages again.
    const second = await service({ dataDir: first.dataDir });
    await expect(second.call('send', { accountId: second.home.id, to: ['b@example.org'], subject: 'x', text: 'x', stagedAttachments: [{ uploadId: fresh }] })).rejects.toMatchObject({ code: 'not-found' });
    const next = await stageFile(second.call, second.home.id, noise(10, 6));
    expect(await uploads(second.dataDir, second.home.id)).toEqual([`upload-${next}.part`]);
  });
});
