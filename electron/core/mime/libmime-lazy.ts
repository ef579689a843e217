/**
 * libmime, loaded the first time a message needs it (issue 18). Its ES module build imports
 * iconv-lite and encoding-japanese and builds codecs at import, and carries a big MIME-type
 * table: ~100 ms of CPU at every parse worker's start, for ordinary mail that header-value.ts
 * reads without it. Loaded synchronously from its CommonJS build, the copy mailsplit (under
 * mailparser) requires, so a process that also parses with mailparser holds no extra copy.
 */
import type libmimeInstance from 'libmime';
import type * as LibcharsetModule from 'libmime/lib/charset.js';
import { createRequire } from 'node:module';

export type Libmime = typeof libmimeInstance;
export type Libcharset = typeof LibcharsetModule;

let lib: Libmime | null = null;
let charset: Libcharset | null = null;

export function libmime(): Libmime {
  return (lib ??= createRequire(import.meta.url)('libmime') as Libmime);
}

/** libmime's charset module (iconv-lite and encoding-japanese behind its decode). */
export function libcharset(): Libcharset {
  return (charset ??= createRequire(import.meta.url)('libmime/lib/charset.js') as Libcharset);
}
