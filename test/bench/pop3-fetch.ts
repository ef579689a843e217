/**
 * Benchmark worker: download every message of one mailbox with Popbox's POP3 client, keep them
 * on the server, discard the bytes. Bundled by pop3-bench.ts and run as its own process so its
 * wall time and peak RSS compare with mpop's.
 *
 *   node pop3-fetch.mjs '{"host":"127.0.0.1","port":995,"security":"tls","ca":"/path/ca.pem","user":"u","password":"p"}'
 */
import fs from 'node:fs';
import { Pop3Client, type Security } from '../../electron/core/pop3/index.js';

interface Args {
  host: string;
  port: number;
  security: Security;
  ca?: string;
  user: string;
  password: string;
  pipelining?: boolean;
  window?: number;
}

const args = JSON.parse(process.argv[2] ?? '{}') as Args;
const started = performance.now();
const pop = await Pop3Client.connect({
  host: args.host,
  port: args.port,
  security: args.security,
  tls: { ...(args.ca ? { ca: fs.readFileSync(args.ca) } : {}), servername: 'localhost' },
  ...(args.pipelining === false ? { pipelining: false } : {}),
  ...(args.window ? { pipelineWindow: args.window } : {}),
});
await pop.login({ user: args.user, password: args.password, allowInsecure: true });
const uids = await pop.uidl();
let bytes = 0;
let messages = 0;
for await (const m of pop.retrieveMany(uids.map((u) => u.id))) {
  if (m.error) throw m.error;
  for await (const chunk of m.body) bytes += (chunk as Buffer).length;
  messages++;
}
await pop.quit();
const ms = performance.now() - started;
process.stdout.write(
  JSON.stringify({ messages, bytes, ms: Math.round(ms), maxRssKB: process.resourceUsage().maxRSS }) + '\n',
);
