/**
 * A sync as the app runs it, for search-after-sync.test.ts: `node --import tsx search-sync-child.ts DATA_DIR`.
 * Prints "synced" once the sync call returned (the parse worker may still be writing the new mail's
 * search rows: the test kills the process from here on), then "indexed" once the index has them.
 */
import { MailService } from '../../electron/core/mail-service.js';
import { MemorySecretStore } from '../../electron/core/secrets/index.js';

const service = await MailService.open({ dataDir: process.argv[2]!, secrets: new MemorySecretStore(), sendQueued: false });
const [outcome] = await service.sync();
if (!outcome?.ok) throw new Error(`sync failed: ${JSON.stringify(outcome)}`);
process.stdout.write('synced\n');
await service.searchIndexed();
process.stdout.write('indexed\n');
await service.close();
