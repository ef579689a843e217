/**
 * A password from a command's output, like mpop's passwordeval: `pass show mail/home`,
 * `secret-tool lookup …`, `op read …`. The output is the secret: it never goes into an error
 * message, and neither does the command (people do write `echo hunter2`).
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { TextDecoder } from 'node:util';
import { AppFailure } from '../errors.js';

export interface PasswordCommandOptions {
  /** Default 30 s: long enough for a GPG pinentry, short enough that a sync cannot hang on it. */
  timeoutMs?: number;
  /** Default 64 KB: a password is short; more means the command is printing something else. */
  maxOutputBytes?: number;
}

const STDERR_KEEP = 4096;

export function runPasswordCommand(command: string, options: PasswordCommandOptions = {}): Promise<string> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const maxOutputBytes = options.maxOutputBytes ?? 64 * 1024;
  const fail = (message: string) => new AppFailure('secret', `the password command ${message}`);

  return new Promise<string>((resolve, reject) => {
    let child: ChildProcessByStdio<null, Readable, Readable>;
    try {
      // A process group of its own (detached), so a timeout can stop the whole pipeline and
      // not only the shell, whose children would keep the pipe open.
      child = spawn('/bin/sh', ['-c', command], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    } catch (e) {
      reject(fail(`could not be started (${(e as NodeJS.ErrnoException).code ?? 'error'})`));
      return;
    }
    const stdout: Buffer[] = [];
    let stdoutBytes = 0;
    let stderr = Buffer.alloc(0);
    let settled = false;

    const killGroup = () => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    };
    const finish = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      outcome();
    };
    const abort = (error: AppFailure) =>
      finish(() => {
        killGroup();
        child.stdout.destroy();
        child.stderr.destroy();
        reject(error);
      });

    const timer = setTimeout(() => abort(fail(`did not finish within ${formatSeconds(timeoutMs)}`)), timeoutMs);

    child.stdout.on('data', (chunk: Buffer) => {
      stdoutBytes += chunk.length;
      if (stdoutBytes > maxOutputBytes) {
        abort(fail(`printed more than ${Math.round(maxOutputBytes / 1024)} KB; it must print only the password`));
        return;
      }
      stdout.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < STDERR_KEEP) stderr = Buffer.concat([stderr, chunk]).subarray(0, STDERR_KEEP);
    });
    child.on('error', (e: NodeJS.ErrnoException) => abort(fail(`could not be started (${e.code ?? 'error'})`)));
    child.on('close', (code, signal) =>
      finish(() => {
        const out = Buffer.concat(stdout);
        if (code !== 0) {
          const how = signal ? `was killed by ${signal}` : `failed (exit code ${code})`;
          const why = firstLine(stderr.toString('utf8'), out.toString('utf8'));
          reject(fail(why ? `${how}: ${why}` : how));
          return;
        }
        let text: string;
        try {
          text = new TextDecoder('utf-8', { fatal: true }).decode(out);
        } catch {
          reject(fail('printed something that is not UTF-8 text'));
          return;
        }
        // Exactly one line ending goes: it is the command's, whatever else is the password's.
        const password = text.replace(/\r?\n$/, '');
        if (password === '') reject(fail('printed nothing'));
        else if (/[\r\n\0]/.test(password)) {
          reject(fail('printed more than one line; it must print only the password (e.g. add "| head -n 1")'));
        } else resolve(password);
      }),
    );
  });
}

/**
 * The first line of stderr, cleaned up and cut short, without anything stdout printed: a
 * failing command may still have printed the password, and stderr may repeat it.
 */
function firstLine(stderr: string, stdout: string): string {
  let line = stderr.split(/\r?\n/).find((l) => l.trim() !== '') ?? '';
  for (const secret of stdout.split(/\r?\n/)) {
    if (secret.trim() !== '') line = line.split(secret.trim()).join('…');
  }
  // eslint-disable-next-line no-control-regex
  line = line.trim().replace(/[\x00-\x1f\x7f\u202a-\u202e\u2066-\u2069]/g, '?');
  return line.length > 160 ? `${line.slice(0, 160)}…` : line;
}

function formatSeconds(ms: number): string {
  return ms >= 1000 ? `${Math.round(ms / 1000)} s` : `${ms} ms`;
}
