import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ReplyScanner, type AfterStatus, type StatusLine } from '../../electron/core/pop3/scanner.js';
import { Pop3Error } from '../../electron/core/pop3/errors.js';

/** Collects replies; every +OK is taken as multi-line unless `single` says otherwise. */
function collector(single: (s: StatusLine, index: number) => boolean = () => false) {
  const replies: { status: StatusLine; body?: Buffer }[] = [];
  let parts: Buffer[] | null = null;
  const scanner = new ReplyScanner({
    onStatus(status): AfterStatus {
      replies.push({ status });
      if (status.kind !== 'ok' || single(status, replies.length - 1)) return 'single';
      parts = [];
      return 'multi';
    },
    onData(bytes) {
      // Copy: the scanner hands out slices of the caller's chunk.
      parts!.push(Buffer.from(bytes));
    },
    onEnd() {
      replies[replies.length - 1]!.body = Buffer.concat(parts!);
      parts = null;
    },
  });
  return { scanner, replies };
}

function dotStuff(message: Buffer): Buffer {
  const out: Buffer[] = [];
  let lineStart = true;
  for (let i = 0; i < message.length; i++) {
    if (lineStart && message[i] === 0x2e) out.push(Buffer.from('.'));
    out.push(message.subarray(i, i + 1));
    lineStart = message[i] === 0x0a;
  }
  return Buffer.concat(out);
}

function feedInChunks(scanner: ReplyScanner, wire: Buffer, cuts: number[]): void {
  const points = [...new Set(cuts.map((c) => c % (wire.length + 1)))].sort((a, b) => a - b);
  let prev = 0;
  for (const p of [...points, wire.length]) {
    if (p > prev) scanner.feed(wire.subarray(prev, p));
    prev = Math.max(prev, p);
  }
}

describe('ReplyScanner', () => {
  it('reads a multi-line reply and unstuffs dots', () => {
    const { scanner, replies } = collector();
    scanner.feed(Buffer.from('+OK 3 octets\r\nline 1\r\n..dot line\r\n...\r\n.\r\n'));
    expect(replies).toHaveLength(1);
    expect(replies[0]!.status).toEqual({ kind: 'ok', text: '3 octets' });
    expect(replies[0]!.body!.toString()).toBe('line 1\r\n.dot line\r\n..\r\n');
  });

  it('survives the terminator split at every offset', () => {
    const wire = Buffer.from('+OK\r\nHello\r\n..\r\n.x\r\n.\r\n+OK next\r\n');
    for (let a = 0; a <= wire.length; a++) {
      for (let b = a; b <= wire.length; b++) {
        const { scanner, replies } = collector((_s, i) => i === 1);
        scanner.feed(wire.subarray(0, a));
        scanner.feed(wire.subarray(a, b));
        scanner.feed(wire.subarray(b));
        expect(replies.map((r) => r.body?.toString())).toEqual(['Hello\r\n.\r\nx\r\n', undefined]);
        expect(replies[1]!.status.text).toBe('next');
      }
    }
  });

  it('accepts bare LF servers and keeps their line endings', () => {
    const { scanner, replies } = collector();
    scanner.feed(Buffer.from('+OK\nfirst\n..second\n.\n'));
    expect(replies[0]!.body!.toString()).toBe('first\n.second\n');
  });

  it('reads an empty listing right after the status line', () => {
    const { scanner, replies } = collector();
    scanner.feed(Buffer.from('+OK 0 messages\r\n.\r\n-ERR no\r\n'));
    expect(replies[0]!.body!.length).toBe(0);
    expect(replies[1]!.status).toEqual({ kind: 'err', text: 'no' });
  });

  it('keeps CR that is not part of a line ending, even right after a leading dot', () => {
    const { scanner, replies } = collector();
    scanner.feed(Buffer.from('+OK\r\na\rb\r\n..\rc\r\n.\r\n'));
    expect(replies[0]!.body!.toString('latin1')).toBe('a\rb\r\n.\rc\r\n');
    const second = collector();
    // A broken server that did not stuff ".\rX": the dot goes, the CR stays.
    for (const part of ['+OK\r\n.', '\r', 'X\r\n', '.\r\n']) second.scanner.feed(Buffer.from(part));
    expect(second.replies[0]!.body!.toString('latin1')).toBe('\rX\r\n');
  });

  it('parses SASL continuations and lenient case', () => {
    const { scanner, replies } = collector(() => true);
    scanner.feed(Buffer.from('+ PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2U+\r\n+ok fine\r\n-err bad\r\n+\r\n'));
    expect(replies.map((r) => r.status)).toEqual([
      { kind: 'continue', text: 'PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2U+' },
      { kind: 'ok', text: 'fine' },
      { kind: 'err', text: 'bad' },
      { kind: 'continue', text: '' },
    ]);
  });

  it('rejects a reply that is neither +OK nor -ERR', () => {
    const { scanner } = collector();
    expect(() => scanner.feed(Buffer.from('HELLO\r\n'))).toThrow(Pop3Error);
  });

  it('rejects a status line with a NUL or a CR inside (a server out of step with its framing)', () => {
    for (const bad of ['+OK \0\0\r\n', '+OK a\rb\r\n', '+OK \r\r\r\n', '-ERR \0\n']) {
      const { scanner } = collector();
      expect(() => scanner.feed(Buffer.from(bad)), JSON.stringify(bad)).toThrow(/control characters/);
    }
    const { scanner, replies } = collector(() => true);
    scanner.feed(Buffer.from('+OK fine\r\n'));
    expect(replies.map((r) => r.status)).toEqual([{ kind: 'ok', text: 'fine' }]);
  });

  it('fails fast on an oversized status line without buffering it', () => {
    const { scanner } = collector();
    const chunk = Buffer.alloc(64 * 1024, 0x41);
    chunk.write('+OK ', 0);
    let fed = 0;
    let error: unknown;
    try {
      // 10 MB of one line, fed as a server would send it.
      for (; fed < 10 * 1024 * 1024; fed += chunk.length) scanner.feed(chunk.subarray(fed === 0 ? 0 : 4));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(Pop3Error);
    expect((error as Pop3Error).code).toBe('protocol');
    expect(fed).toBeLessThan(64 * 1024); // the first chunk was enough to know
  });

  it('imposes no limit on message lines', () => {
    const { scanner, replies } = collector();
    const longLine = Buffer.alloc(5 * 1024 * 1024, 0x61);
    scanner.feed(Buffer.from('+OK\r\n'));
    for (let i = 0; i < longLine.length; i += 65536) scanner.feed(longLine.subarray(i, i + 65536));
    scanner.feed(Buffer.from('\r\n.\r\n'));
    expect(replies[0]!.body!.length).toBe(longLine.length + 2);
  });

  it('stops reading at a halt and ignores what follows until reset', () => {
    const sink = { statuses: [] as string[] };
    const scanner = new ReplyScanner({
      onStatus(s) {
        sink.statuses.push(s.text);
        return s.text === 'Begin TLS' ? 'halt' : 'single';
      },
      onData() {},
      onEnd() {},
    });
    scanner.feed(Buffer.from('+OK Begin TLS\r\n+OK injected\r\n'));
    scanner.feed(Buffer.from('+OK injected too\r\n'));
    expect(sink.statuses).toEqual(['Begin TLS']);
    scanner.reset();
    scanner.feed(Buffer.from('+OK real\r\n'));
    expect(sink.statuses).toEqual(['Begin TLS', 'real']);
  });

  it('property: stuffed, randomly chunked messages come back byte-identical', () => {
    const byteLine = fc.oneof(
      { weight: 3, arbitrary: fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a.filter((b) => b !== 0x0a))) },
      { weight: 1, arbitrary: fc.constantFrom('.', '..', '.x', '.\r', '\r', '', '\r.', '. ').map((s) => Buffer.from(s, 'latin1')) },
    );
    const message = fc
      .tuple(fc.array(byteLine, { maxLength: 30 }), fc.boolean())
      .map(([lines, crlf]) => Buffer.concat(lines.map((l) => Buffer.concat([l, Buffer.from(crlf ? '\r\n' : '\n')]))));
    fc.assert(
      fc.property(fc.array(message, { minLength: 1, maxLength: 4 }), fc.array(fc.nat(), { maxLength: 20 }), (messages, cuts) => {
        const wire = Buffer.concat(messages.flatMap((m) => [Buffer.from('+OK message follows\r\n'), dotStuff(m), Buffer.from('.\r\n')]));
        const { scanner, replies } = collector();
        feedInChunks(scanner, wire, cuts);
        expect(replies).toHaveLength(messages.length);
        replies.forEach((r, i) => expect(r.body!.equals(messages[i]!)).toBe(true));
      }),
      { numRuns: 2000 },
    );
  });
});
