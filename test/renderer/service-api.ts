/**
 * A real MailService behind the contract's dispatcher, shaped as `window.popbox` (what the
 * preload and the web host give the renderer), for jsdom tests of the read model and the UI.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { buildApi, type PopboxApi } from '../../shared/api.js';
import type { MessageRecord } from '../../shared/changes.js';
import type { EventName } from '../../shared/contract.js';
import { createDispatcher, mailServiceHandlers } from '../../electron/core/contract-handler.js';
import { MailService } from '../../electron/core/mail-service.js';
import { MemorySecretStore } from '../../electron/core/secrets/index.js';

export interface ServiceApi {
  service: MailService;
  api: PopboxApi;
  close(): Promise<void>;
}

export async function serviceApi(): Promise<ServiceApi> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-renderer-'));
  const service = await MailService.open({ dataDir, secrets: new MemorySecretStore() });
  const dispatch = createDispatcher(mailServiceHandlers(service, { chooseSaveDestination: async () => null }));
  const api = buildApi(
    (method, input) => dispatch(method, JSON.parse(JSON.stringify(input ?? {}))),
    (event: EventName, listener) => service.on(event, listener as never),
  );
  return {
    service,
    api,
    async close() {
      await service.close();
      await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
}

let n = 0;
export function record(over: Partial<MessageRecord> & { subject?: string; from?: string; date?: string; snippet?: string } = {}): MessageRecord {
  n++;
  const { subject = `Subject ${n}`, from = `Sender ${n}`, date = new Date(Date.UTC(2026, 0, 1) + n * 60_000).toISOString(), snippet = `snippet ${n}`, ...rest } = over;
  return {
    id: `m${String(n).padStart(8, '0')}`,
    accountId: 'acc1',
    uidl: `uidl-${n}`,
    receivedAt: Date.UTC(2026, 5, 1),
    partial: false,
    flags: { seen: false, flagged: false },
    folder: 'INBOX',
    summary: { subject, from: [{ name: from, address: `${from.toLowerCase().replace(/\W/g, '')}@example.org` }], to: [], cc: [], date, messageId: null, inReplyTo: null, references: [], size: 1000, hasAttachments: false, snippet },
    ...rest,
  };
}
