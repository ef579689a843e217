/**
 * The control socket (issue 14 §1): while a Popbox process holds a data directory, the CLI runs
 * its commands inside that process instead of failing on the lock, as `code` talks to a running
 * VS Code. This module is what the server and the client share: where the socket is and what
 * goes over it.
 *
 * It is not part of the IPC contract and the renderer never sees it: the renderer reaches main
 * only through the contract (ipcMain or the web host's WebSocket), and a page cannot open a Unix
 * socket or a named pipe. Only the same user can connect: the socket file is 0600 in the data
 * directory.
 *
 * Wire format: newline-delimited JSON. One request per connection, `{argv, columns, stdin?}`;
 * the answer streams `{out}` and `{err}` chunks and ends with `{exit}`, then the host closes.
 */
import path from 'node:path';

export interface ControlRequest {
  /** The CLI's arguments, as typed (`--data-dir DIR` included). */
  argv: string[];
  /** The terminal's width on the client's side (tables are cut to it). */
  columns: number;
  /** Standard input, sent only for `--password-stdin`. */
  stdin?: string;
}

export type ControlReply = { out: string } | { err: string } | { exit: number };

/** A request carries argv and at most a password: anything bigger is refused unread. */
export const MAX_REQUEST_BYTES = 1024 * 1024;
/** A connection that has not sent its request by then is dropped. */
export const REQUEST_TIMEOUT_MS = 10_000;

/**
 * Unix socket paths are limited to sun_path (108 bytes on Linux, 104 on macOS, with its NUL);
 * the server binds a temporary name a little longer than the final one first.
 */
const MAX_UNIX_PATH_BYTES = 100;

/**
 * Where the process holding `dataDir` listens, or null where it cannot: a data directory whose
 * path is too long for a Unix socket, and Windows. Named pipes live in one namespace every user
 * of the machine shares; a pipe name derived from the path can be created first by another user,
 * who would then receive what the CLI sends (a password from --password-stdin). Until the pipe
 * is secured (an ACL, or a random name kept in the data directory), the CLI on Windows runs on
 * its own and says the data directory is in use.
 */
export function controlSocketPath(dataDir: string): string | null {
  const dir = path.resolve(dataDir);
  if (process.platform === 'win32') return null;
  const file = path.join(dir, 'popbox.sock');
  return Buffer.byteLength(file) + '.00000000.tmp'.length <= MAX_UNIX_PATH_BYTES ? file : null;
}

/** The request as sent, or a plain reason why it is not one. */
export function parseRequest(line: string): ControlRequest | string {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return 'the request is not JSON';
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'the request is not an object';
  const { argv, columns, stdin } = value as Record<string, unknown>;
  if (!Array.isArray(argv) || !argv.every((a) => typeof a === 'string')) return 'argv must be a list of strings';
  if (typeof columns !== 'number' || !Number.isInteger(columns) || columns < 1 || columns > 10_000) return 'columns must be a whole number from 1 to 10000';
  if (stdin !== undefined && typeof stdin !== 'string') return 'stdin must be a string';
  return { argv: argv as string[], columns, ...(stdin !== undefined ? { stdin } : {}) };
}
