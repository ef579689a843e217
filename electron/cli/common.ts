/** What every CLI command shares: bad-input errors, option parsing, the service, the terminal. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { MailService } from '../core/mail-service.js';
import { KeytarSecretStore } from '../core/secrets/index.js';

/** Bad input: printed with a pointer to `popbox help`, exit code 2. */
export class UsageError extends Error {}

export function usage(message: string): never {
  throw new UsageError(message);
}

export function parse<O extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: O) {
  try {
    return parseArgs({ args, options, allowPositionals: true, allowNegative: true, strict: true });
  } catch (e) {
    usage((e as Error).message);
  }
}

export async function withService<T>(dataDir: string, fn: (s: MailService) => Promise<T>): Promise<T> {
  const service = await MailService.open({ dataDir, secrets: new KeytarSecretStore() });
  try {
    return await fn(service);
  } finally {
    await service.close();
  }
}

/** The terminal's width; piped output (`| less`, `| head`) takes $COLUMNS, else 80, as ls does. */
export function terminalWidth(): number {
  if (process.stdout.isTTY && process.stdout.columns) return process.stdout.columns;
  const columns = Number(process.env.COLUMNS);
  return Number.isInteger(columns) && columns > 0 ? columns : 80;
}

export const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
