import type { Readable } from 'node:stream';

/** Read a body stream to the end (tests only: real code streams to disk). */
export async function readAll(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}
