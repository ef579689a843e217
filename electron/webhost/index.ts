/**
 * `npm run web -- [--data-dir DIR] [--port N] [--downloads DIR] [--secrets keychain|memory]`
 * MailService in Node, the built renderer on 127.0.0.1, the contract over a WebSocket. The first
 * line on stdout is the URL to open (it carries the token). Stops on SIGINT/SIGTERM.
 */
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { defaultDataDir, MailService } from '../core/mail-service.js';
import { KeytarSecretStore, MemorySecretStore, type SecretStore } from '../core/secrets/index.js';
import { startWebHost } from './server.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({
      options: {
        'data-dir': { type: 'string' },
        port: { type: 'string' },
        downloads: { type: 'string' },
        secrets: { type: 'string' },
        static: { type: 'string' },
        'allow-private-remote': { type: 'boolean' },
        'no-scheduler': { type: 'boolean' },
      },
      strict: true,
    }).values;
  } catch (e) {
    console.error(`popbox web: ${(e as Error).message}`);
    return 2;
  }
  const port = args.port === undefined ? 0 : Number(args.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error('popbox web: --port must be a whole number from 0 to 65535');
    return 2;
  }
  const secretsKind = args.secrets ?? 'keychain';
  if (secretsKind !== 'keychain' && secretsKind !== 'memory') {
    console.error('popbox web: --secrets must be "keychain" or "memory"');
    return 2;
  }
  const secrets: SecretStore = secretsKind === 'memory' ? new MemorySecretStore() : new KeytarSecretStore();
  const dataDir = args['data-dir'] ? path.resolve(args['data-dir']) : defaultDataDir();
  let service: MailService;
  try {
    service = await MailService.open({ dataDir, secrets });
  } catch (e) {
    console.error(`popbox web: ${(e as Error).message}`);
    return 1;
  }
  const host = await startWebHost({
    service,
    staticDir: args.static ?? path.join(root, 'dist', 'renderer'),
    port,
    downloadsDir: args.downloads ? path.resolve(args.downloads) : path.join(os.homedir(), 'Downloads'),
    remote: { allowPrivateAddresses: args['allow-private-remote'] === true },
  });
  if (!args['no-scheduler']) service.startScheduler();
  process.stdout.write(`${host.url}\n`);
  if (secretsKind === 'memory') console.error('popbox web: passwords are kept in memory only (--secrets memory)');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await host.close();
  await service.close();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`popbox web: ${(e as Error).message}`);
    process.exit(1);
  },
);
