/**
 * The control socket on its own (core/control): what a client gets back, what is left on disk,
 * and that no client (slow, failing, gone) harms the process that serves it.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connectControl, runInHost } from '../../electron/core/control/control-client.js';
import { startControlServer, type CommandHandler, type ControlServer } from '../../electron/core/control/control-server.js';
import { controlSocketPath } from '../../electron/core/control/protocol.js';

const unix = process.platform !== 'win32';

describe.runIf(unix)('control server', () => {
  let dir: string;
  let server: ControlServer | null = null;
  const logged: string[] = [];
  const log = (m: string) => logged.push(m);

  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'popbox-control-'));
    logged.length = 0;
  });
  afterEach(async () => {
    await server?.close();
    server = null;
    await fs.rm(dir, { recursive: true, force: true });
  });

  /** Run argv through a client; its output and exit code. */
  async function run(argv: string[], extra: { stdin?: string } = {}) {
    const socket = await connectControl(dir);
    if (!socket) throw new Error('nobody listens');
    let out = '';
    let err = '';
    const code = await runInHost(socket, { argv, columns: 80, ...extra }, { out: (t) => (out += t), err: (t) => (err += t) });
    return { code, out, err };
  }

  const echo: CommandHandler = async (request, io) => {
    if (request.argv[0] === 'boom') throw new Error('handler broke');
    io.out(`argv ${request.argv.join(' ')}\n`);
    io.err(`columns ${request.columns} stdin ${request.stdin ?? '-'}\n`);
    return Number(request.argv[1] ?? 0);
  };

  it('runs a command: output, errors and exit code reach the client; the socket is 0600 in the data directory', async () => {
    server = await startControlServer(dir, echo, { log });
    expect(server?.path).toBe(path.join(dir, 'popbox.sock'));
    const st = await fs.lstat(path.join(dir, 'popbox.sock'));
    expect(st.isSocket()).toBe(true);
    expect(st.mode & 0o777).toBe(0o600);
    expect(await run(['sync', '3'], { stdin: 'pw\n' })).toEqual({ code: 3, out: 'argv sync 3\n', err: 'columns 80 stdin pw\n\n' });
    expect(logged).toEqual([]);
  });

  it('replaces a socket left by a process that died, and the client runs locally while it is there', async () => {
    const file = path.join(dir, 'popbox.sock');
    const killed = spawnSync(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(file)}, () => process.kill(process.pid, 'SIGKILL'))`]);
    expect(killed.signal).toBe('SIGKILL');
    expect((await fs.lstat(file)).isSocket()).toBe(true);
    expect(await connectControl(dir)).toBeNull(); // ECONNREFUSED: nobody listens, run here
    server = await startControlServer(dir, echo, { log });
    expect((await run(['x'])).out).toBe('argv x\n');
  });

  it('leaves a file that is not a socket alone and goes on without one', async () => {
    await fs.writeFile(path.join(dir, 'popbox.sock'), 'mine');
    server = await startControlServer(dir, echo, { log });
    expect(server).toBeNull();
    expect(logged[0]).toMatch(/popbox\.sock exists and is not a socket/);
    expect(await fs.readFile(path.join(dir, 'popbox.sock'), 'utf8')).toBe('mine');
    expect(await connectControl(dir)).toBeNull();
  });

  it('a data directory too deep for a socket path: no server, a log line, and the client runs locally', async () => {
    const deep = path.join(dir, 'x'.repeat(120));
    expect(controlSocketPath(deep)).toBeNull();
    expect(await startControlServer(deep, echo, { log })).toBeNull();
    expect(logged[0]).toMatch(/path is too long for a socket/);
    expect(await connectControl(deep)).toBeNull();
  });

  it('cuts off a client that keeps its side open after the answer (no socket kept per command)', async () => {
    server = await startControlServer(dir, echo, { log, requestTimeoutMs: 200 });
    const writeLater = await new Promise<string>((resolve) => {
      // allowHalfOpen: this client never closes its side, even after the host has closed its own.
      const s = net.createConnection({ path: path.join(dir, 'popbox.sock'), allowHalfOpen: true });
      s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
      s.resume(); // read the answer, to see its end
      s.on('end', () => {
        // The host holds no socket for it any more: a later write finds nobody reading.
        setTimeout(() => s.write('still here\n', () => setTimeout(() => s.write('and here\n'), 100)), 400);
      });
      s.write(`${JSON.stringify({ argv: ['n', '0'], columns: 80 })}\n`);
    });
    expect(['EPIPE', 'ECONNRESET']).toContain(writeLater);
  });

  it('a failing command gets an error line and exit 1; the server serves on', async () => {
    server = await startControlServer(dir, echo, { log });
    expect(await run(['boom'])).toEqual({ code: 1, out: '', err: 'popbox: unexpected error in the running Popbox: handler broke\n' });
    expect(await run(['after', '0'])).toMatchObject({ code: 0, out: 'argv after 0\n' });
  });

  it('drops a connection that sends no request in time', async () => {
    server = await startControlServer(dir, echo, { log, requestTimeoutMs: 200 });
    const started = Date.now();
    const closed = await new Promise<string>((resolve) => {
      const s = net.createConnection(path.join(dir, 'popbox.sock'));
      let got = '';
      s.setEncoding('utf8').on('data', (t: string) => (got += t));
      s.on('error', () => {});
      s.write('{"argv":'); // half a request, then silence
      s.on('close', () => resolve(got));
    });
    expect(closed).toBe('');
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    expect((await run(['still', '0'])).code).toBe(0);
  });

  it('close lets a command at work finish and print, then removes the socket', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slow = await startControlServer(
      dir,
      async (_req, io) => {
        await gate;
        io.out('finished\n');
        return 0;
      },
      { log },
    );
    const running = run(['slow']);
    await new Promise((r) => setTimeout(r, 100));
    const closing = slow!.close();
    release();
    expect(await running).toEqual({ code: 0, out: 'finished\n', err: '' });
    await closing;
    await expect(fs.lstat(path.join(dir, 'popbox.sock'))).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await connectControl(dir)).toBeNull();
  });

  it('a host that goes away mid-command: the client says so and exits 1', async () => {
    const file = path.join(dir, 'popbox.sock');
    const rogue = net.createServer((s) => {
      s.resume(); // read the request (and the client's end), or this connection never closes
      s.end(`${JSON.stringify({ out: 'half' })}\n`);
    });
    await new Promise<void>((r) => rogue.listen(file, () => r()));
    try {
      expect(await run(['x'])).toEqual({ code: 1, out: 'half', err: 'popbox: the running Popbox closed the connection before the command ended\n' });
    } finally {
      await new Promise<void>((r) => rogue.close(() => r()));
    }
  });
});
