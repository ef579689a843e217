/** What every CLI command shares: bad-input errors, option parsing, the service, the terminal. */
import { AsyncLocalStorage } from 'node:async_hooks';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { MailService } from '../core/mail-service.js';
import type { HandOver } from '../core/sync/hand-over.js';

export { UsageError, usage } from './args.js';
import { usage } from './args.js';

export function parse<O extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: O) {
  try {
    return parseArgs({ args, options, allowPositionals: true, allowNegative: true, strict: true });
  } catch (e) {
    usage((e as Error).message);
  }
}

/**
 * Where a command's output goes and what it may use: this process's terminal, or (inside a
 * running Popbox, through its control socket) the client's, with the host's own MailService.
 */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** The terminal's width (tables are cut to it). */
  columns: number;
  /** Everything on standard input (for --password-stdin); undefined when nothing could be read. */
  stdin(): string | undefined;
  /** The MailService of the process the command runs in; absent, the command opens the data directory itself. */
  service?: MailService;
  /** What this command's quick path holds for its full path (the data directory's lock, each account's check); absent inside a running Popbox. */
  handOver?: HandOver;
}

// The io of the command at work. Commands inside a running Popbox may overlap (two terminals),
// and each one's output must go to its own client: hence async context, not a global.
const current = new AsyncLocalStorage<CliIo>();

export function withIo<T>(io: CliIo, fn: () => Promise<T>): Promise<T> {
  return current.run(io, fn);
}

export function cliIo(): CliIo {
  const io = current.getStore();
  if (!io) throw new Error('a CLI command ran outside runCli');
  return io;
}

/** One line to standard output (console.log, for the command's client). */
export const print = (line: string) => cliIo().out(`${line}\n`);
/** One line to standard error. */
export const printError = (line: string) => cliIo().err(`${line}\n`);

/** The MailService for `fn`: the running one (left open), else the data directory opened for it and closed after. */
/**
 * The service a command works on: the running app's (through the control socket) or one opened
 * for this command. `sendQueued`: whether opening it starts sending what waits in the Outbox
 * (only the sending commands do; `popbox messages` must not send mail).
 */
export async function withService<T>(dataDir: string, fn: (s: MailService) => Promise<T>, opts: { sendQueued?: boolean } = {}): Promise<T> {
  const { service: running, handOver } = cliIo();
  if (running) return fn(running);
  // Loaded only here: a command that never opens the store (help, the quick paths) starts without it.
  const [{ MailService }, { KeytarSecretStore }] = await Promise.all([import('../core/mail-service.js'), import('../core/secrets/index.js')]);
  // What the quick path holds (its lock, each account's check): taken over, never let go between the two paths.
  const service = await MailService.open({ dataDir, secrets: new KeytarSecretStore(), sendQueued: opts.sendQueued ?? false, ...(handOver ? { handOver } : {}) });
  try {
    return await fn(service);
  } finally {
    await service.close();
  }
}

/** The width of the terminal the command's output goes to. */
export function terminalWidth(): number {
  return cliIo().columns;
}

/** This process's terminal width; piped output (`| less`, `| head`) takes $COLUMNS, else 80, as ls does. */
export function localTerminalWidth(): number {
  if (process.stdout.isTTY && process.stdout.columns) return process.stdout.columns;
  const columns = Number(process.env.COLUMNS);
  return Number.isInteger(columns) && columns > 0 ? columns : 80;
}

export { plural } from '../../shared/plural.js';
