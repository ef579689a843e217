/**
 * A sync as the app runs it, for search-after-sync.test.ts: `node --import tsx search-sync-child.ts DATA_DIR [PAUSE_AFTER]`.
 * Prints "synced" once the sync call returned (the parse worker may still be writing the new mail's
 * search rows: the test kills the process from here on), then "indexed" once the index has them.
 * PAUSE_AFTER N > 0: the parse worker's first index transaction holds N messages and then it stops
 * until killed (ParsePoolOptions.indexPauseAfter, given to the process's pool before anything parses).
 */
import { parsePool } from '../../electron/core/ingest/parse-pool.js';
import { MailService } from '../../electron/core/mail-service.js';
import { MemorySecretStore } from '../../electron/core/secrets/index.js';

const pauseAfter = Number(process.argv[3] ?? 0);
if (pauseAfter > 0) parsePool({ indexPauseAfter: pauseAfter });
const service = await MailService.open({ dataDir: process.argv[2]!, secrets: new MemorySecretStore(), sendQueued: false });
const [outcome] = await service.sync();
if (!outcome?.ok) throw new Error(`sync failed: ${JSON.stringify(outcome)}`);
process.stdout.write('synced\n');
await service.searchIndexed();
process.stdout.write('indexed\n');
await service.close();
