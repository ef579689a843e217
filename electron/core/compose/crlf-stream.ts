/**
 * Every line end as CRLF, as the message streams to disk (build-message's buildMessageToFile):
 * the streaming twin of toCrlf. MailComposer writes headers and boundaries with CRLF but leaves
 * a text part's bare LF (or CR) as typed; SMTP needs CRLF and the Outbox files what it sends.
 *
 * Chunk boundaries are where a stream differs from a Buffer: a CR that ends one chunk is held
 * back until the next chunk's first byte says whether it was half of a CRLF or a bare CR.
 */
import { Transform, type TransformCallback } from 'node:stream';

const CR = 0x0d;
const LF = 0x0a;
const CRLF = Buffer.from('\r\n');

export class CrlfTransform extends Transform {
  /** The previous chunk ended in CR (not yet written). */
  private heldCr = false;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    const out = this.convert(chunk);
    if (out.length) this.push(out);
    done();
  }

  override _flush(done: TransformCallback): void {
    if (this.heldCr) this.push(CRLF);
    this.heldCr = false;
    done();
  }

  /** The chunk with bare CR and bare LF made CRLF; views of the chunk where nothing changes (the common case: base64 lines). */
  private convert(chunk: Buffer): Buffer {
    const n = chunk.length;
    const parts: Buffer[] = [];
    let i = 0;
    if (this.heldCr) {
      this.heldCr = false;
      parts.push(CRLF);
      if (n > 0 && chunk[0] === LF) i = 1; // the held CR's own LF
    }
    let start = i;
    for (; i < n; i++) {
      const c = chunk[i];
      if (c !== CR && c !== LF) continue;
      if (c === CR) {
        if (i + 1 === n) {
          // Undecided until the next chunk.
          if (i > start) parts.push(chunk.subarray(start, i));
          this.heldCr = true;
          start = n;
          break;
        }
        if (chunk[i + 1] === LF) {
          i++; // already CRLF: stays in the current run
          continue;
        }
      }
      // A bare CR or a bare LF.
      if (i > start) parts.push(chunk.subarray(start, i));
      parts.push(CRLF);
      start = i + 1;
    }
    if (start < n) parts.push(chunk.subarray(start, n));
    if (parts.length === 1) return parts[0]!;
    return Buffer.concat(parts);
  }
}
