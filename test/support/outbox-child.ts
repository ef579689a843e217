/**
 * A process that sends through the outbox, to be killed with SIGKILL at any moment
 * (test/integration/outbox.test.ts): `node --import tsx outbox-child.ts CONFIG.json`.
 * It opens an Outbox on the config's data dir (recovering what a killed run left), queues the
 * config's messages, and sends until nothing waits to go out. On stdout, one line each:
 * `ready`, `queued <tag> <id>` once enqueue returned, `event <kind> <id> <state>`, `done`.
 */
import fs from 'node:fs/promises';
import type { SmtpSettings } from '../../electron/core/smtp/index.js';
import { openOutbox, plainMessage } from './outbox-harness.js';

export interface ChildConfig {
  dataDir: string;
  accountId: string;
  settings: SmtpSettings;
  backoffMs: number[];
  enqueue: { tag: string; size: number }[];
}

const say = (line: string) => process.stdout.write(`${line}\n`);

const cfg = JSON.parse(await fs.readFile(process.argv[2]!, 'utf8')) as ChildConfig;
const h = await openOutbox({
  dataDir: cfg.dataDir,
  accountId: cfg.accountId,
  transport: () => cfg.settings,
  deps: {
    undoSeconds: 0,
    backoffMs: cfg.backoffMs,
    onEvent: (e) => say(`event ${e.kind} ${e.kind === 'changed' ? `${e.item.id} ${e.item.state}` : e.id}`),
  },
});
say('ready');
await h.outbox.start();
for (const m of cfg.enqueue) {
  const id = await h.outbox.enqueue(cfg.accountId, { raw: plainMessage(m.tag, { size: m.size }), envelope: { from: 'alice@example.org', to: ['bob@example.org'] }, sendAt: 0 });
  say(`queued ${m.tag} ${id}`);
}
for (;;) {
  await h.outbox.idle();
  const left = (await h.outbox.status(cfg.accountId)).filter((i) => i.state === 'waiting' || i.state === 'sending' || i.state === 'retrying');
  if (left.length === 0) break;
  await new Promise((r) => setTimeout(r, 20));
}
say('done');
await h.close();
process.exit(0);
