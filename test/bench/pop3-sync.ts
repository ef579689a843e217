/**
 * Benchmark worker: Popbox's durable sync as a running app does it — MailService.sync of one
 * account into a fresh data directory (Maildir with fsync of files and directories, ledger,
 * journal, summaries, filters), kept on the server. Bundled by pop3-bench.ts and run as its own
 * process; it reports the time of the sync call alone (`ms`), so process start, module loading
 * and opening the service (the CLI's start, measured by startup-bench.ts) are not in it, and the
 * CPU time (user + system, all threads) this process spent on the sync (`cpuMs`). The parse worker
 * writes the new mail's search rows after the sync's parses are answered (search/index-writer.ts),
 * partly after the call returns: `indexedMs` and `indexedCpuMs` run from the same start to the
 * moment the search index has every new message (what a search right after the sync waits for).
 *
 *   node pop3-sync.mjs '{"dataDir":"/tmp/x","port":995,"security":"tls","fingerprint256":"AB:…","user":"u","password":"p"}'
 */
import { MailService } from '../../electron/core/mail-service.js';
import { MemorySecretStore } from '../../electron/core/secrets/index.js';

interface Args {
  dataDir: string;
  port: number;
  security: 'tls' | 'plain' | 'starttls';
  fingerprint256?: string;
  user: string;
  password: string;
}

const args = JSON.parse(process.argv[2] ?? '{}') as Args;
const service = await MailService.open({ dataDir: args.dataDir, secrets: new MemorySecretStore(), sendQueued: false });
let out: { messages: number; bytes: number; ms: number; cpuMs: number; progressEvents: number; indexedMs: number; indexedCpuMs: number };
try {
  const account = await service.addAccount(
    {
      name: 'bench',
      host: '127.0.0.1',
      port: args.port,
      security: args.security,
      user: args.user,
      ...(args.security === 'plain' ? { allowInsecureAuth: true } : { tlsFingerprint: args.fingerprint256 }),
      leaveOnServer: true,
      checkAtStartup: false,
      password: { source: 'keychain' },
    },
    args.password,
  );
  let progressEvents = 0;
  const started = performance.now();
  const cpu = process.cpuUsage();
  const [outcome] = await service.sync([account.id], () => {
    progressEvents++;
  });
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  if (!outcome?.ok) throw new Error(`sync failed: ${JSON.stringify(outcome)}`);
  await service.searchIndexed();
  const indexedMs = performance.now() - started;
  const indexedCpu = process.cpuUsage(cpu);
  const cpuMs = (u: NodeJS.CpuUsage) => Math.round((u.user + u.system) / 1000);
  out = { messages: outcome.result.downloaded, bytes: outcome.result.bytes, ms: Math.round(ms), cpuMs: cpuMs(used), progressEvents, indexedMs: Math.round(indexedMs), indexedCpuMs: cpuMs(indexedCpu) };
} finally {
  await service.close();
}
process.stdout.write(JSON.stringify({ ...out, maxRssKB: process.resourceUsage().maxRSS }) + '\n');
