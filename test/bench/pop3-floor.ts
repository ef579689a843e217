/**
 * Benchmark worker: the server's floor — the least a client can do to download one whole
 * mailbox (kept on the server) from this Dovecot on this machine. One connection, USER/PASS,
 * UIDL (a real sync needs it to know what is new), then every RETR pipelined in Popbox's window;
 * the bytes are counted and dropped, and nothing is parsed beyond finding each reply's end (the
 * "\r\n.\r\n" that dot-stuffing keeps out of every body, searched for across chunk edges) and
 * checking that the next reply is +OK. Plain node net/tls with the socket's 'data' chunks: session
 * 14 measured the socket's own read path (`onread` into an arena) against 'data' and found no gain.
 * Bundled by pop3-bench.ts and run as its own process; like pop3-sync.ts it reports the time from
 * connect to QUIT's answer (`ms`, no process start) and the process's CPU time (`cpuMs`) in it.
 *
 *   node pop3-floor.mjs '{"host":"127.0.0.1","port":995,"security":"tls","ca":"/path/ca.pem","user":"u","password":"p"}'
 */
import fs from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { DEFAULT_PIPELINE_WINDOW } from '../../electron/core/pop3/index.js';

interface Args {
  host: string;
  port: number;
  security: 'tls' | 'plain' | 'starttls';
  ca?: string;
  user: string;
  password: string;
}

const args = JSON.parse(process.argv[2] ?? '{}') as Args;
const tlsOptions = { ...(args.ca ? { ca: fs.readFileSync(args.ca) } : {}), servername: 'localhost' };
const TERMINATOR = Buffer.from('\r\n.\r\n');
const PLUS = 0x2b;

function connect(): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket =
      args.security === 'tls'
        ? tls.connect({ host: args.host, port: args.port, ...tlsOptions }, () => resolve(socket))
        : net.connect({ host: args.host, port: args.port }, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Sends `line` (none: the greeting) and reads its answer, one line or, if `multi`, to the terminator. */
function answer(socket: net.Socket, line: string | null, multi = false): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const finish = (error?: Error) => {
      socket.off('data', onData).off('error', finish).off('close', onClose);
      if (error) reject(error);
      else resolve(text);
    };
    const onClose = () => finish(new Error(`connection closed awaiting the answer to ${line?.split(' ')[0] ?? 'the greeting'}`));
    const onData = (chunk: Buffer) => {
      text += chunk.toString('latin1');
      const end = text.indexOf('\r\n');
      if (end < 0) return;
      if (!text.startsWith('+OK')) return finish(new Error(`${line?.split(' ')[0] ?? 'greeting'}: ${text.slice(0, end)}`));
      if (!multi || text.endsWith('\r\n.\r\n')) finish();
    };
    socket.on('data', onData).once('error', finish).once('close', onClose);
    if (line !== null) socket.write(`${line}\r\n`);
  });
}

/** RETRs every message in `numbers`, at most `window` unanswered; resolves with the bytes received. */
function retrieveAll(socket: net.Socket, numbers: string[], window: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered = 0;
    let bytes = 0;
    /** The last bytes of the chunks so far (≤ 4): a terminator may straddle two chunks. */
    let tail = Buffer.alloc(0);
    /** The next chunk's first byte starts a reply. */
    let atReply = true;
    const send = () => {
      let commands = '';
      while (sent < numbers.length && sent - answered < window) commands += `RETR ${numbers[sent++]}\r\n`;
      if (commands) socket.write(commands);
    };
    const finish = (error?: Error) => {
      socket.off('data', onData).off('error', finish).off('close', onClose);
      if (error) reject(error);
      else resolve(bytes);
    };
    const onClose = () => finish(new Error(`connection closed after ${answered} of ${numbers.length} messages`));
    /** A reply ended just before `next`: the one after it must start with +OK (a -ERR has no terminator). */
    const ended = (chunk: Buffer, next: number) => {
      answered++;
      if (next >= chunk.length) atReply = true;
      else if (chunk[next] !== PLUS) throw new Error(`RETR ${numbers[answered]}: ${chunk.subarray(next, next + 200).toString('latin1')}`);
    };
    const onData = (chunk: Buffer) => {
      try {
        bytes += chunk.length;
        if (atReply && chunk.length > 0) {
          if (chunk[0] !== PLUS) throw new Error(`RETR ${numbers[answered]}: ${chunk.subarray(0, 200).toString('latin1')}`);
          atReply = false;
        }
        let from = 0;
        if (tail.length > 0) {
          // Only a terminator that starts in the tail and ends in this chunk is new here.
          const at = Buffer.concat([tail, chunk.subarray(0, TERMINATOR.length - 1)]).indexOf(TERMINATOR);
          if (at >= 0 && at < tail.length) {
            from = at + TERMINATOR.length - tail.length;
            ended(chunk, from);
          }
        }
        for (let at = chunk.indexOf(TERMINATOR, from); at >= 0; at = chunk.indexOf(TERMINATOR, at + TERMINATOR.length)) {
          ended(chunk, at + TERMINATOR.length);
        }
        const keep = TERMINATOR.length - 1;
        tail = chunk.length >= keep ? Buffer.from(chunk.subarray(chunk.length - keep)) : Buffer.concat([tail, chunk]).subarray(-keep);
        if (answered === numbers.length) finish();
        else send();
      } catch (error) {
        finish(error as Error);
      }
    };
    socket.on('data', onData).once('error', finish).once('close', onClose);
    send();
  });
}

const started = performance.now();
const cpu = process.cpuUsage();
let socket = await connect();
socket.setNoDelay(true);
await answer(socket, null);
if (args.security === 'starttls') {
  await answer(socket, 'STLS');
  const plain = socket;
  socket = await new Promise<tls.TLSSocket>((resolve, reject) => {
    const secured = tls.connect({ socket: plain, ...tlsOptions }, () => resolve(secured));
    secured.once('error', reject);
  });
}
await answer(socket, `USER ${args.user}`);
await answer(socket, `PASS ${args.password}`);
const listing = await answer(socket, 'UIDL', true);
// "+OK …", then "<number> <uid>" lines, then ".": RETR by the numbers the listing gives.
const numbers = listing
  .split('\r\n')
  .slice(1, -2)
  .map((l) => l.slice(0, l.indexOf(' ')));
const bytes = numbers.length > 0 ? await retrieveAll(socket, numbers, DEFAULT_PIPELINE_WINDOW) : 0;
await answer(socket, 'QUIT');
const ms = performance.now() - started;
const used = process.cpuUsage(cpu);
socket.destroy();
process.stdout.write(
  JSON.stringify({ messages: numbers.length, bytes, ms: Math.round(ms), cpuMs: Math.round((used.user + used.system) / 1000), maxRssKB: process.resourceUsage().maxRSS }) + '\n',
);
