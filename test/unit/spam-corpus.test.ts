/**
 * The corpus helper the tests read SpamAssassin mail through (test/support/spam-corpus.ts): each
 * file becomes the message it holds, byte for byte. Most files start with an mbox `From ` line,
 * which goes; 593 start with a header, which stays (cutting their first line cut that header).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CORPUS_DIR, CORPUS_GROUPS, corpusMessage, corpusNames, withoutEnvelope } from '../support/spam-corpus.js';

describe('SpamAssassin corpus files as messages', () => {
  it('every file starts with a header field; only a real "From " line is taken off, nothing else changes', async () => {
    let withEnvelope = 0;
    let without = 0;
    for (const group of CORPUS_GROUPS) {
      for (const name of await corpusNames(group)) {
        const raw = await fs.readFile(path.join(CORPUS_DIR, group, name));
        const message = await corpusMessage(group, name);
        expect(message.subarray(0, 200).toString('latin1'), `${group}/${name}`).toMatch(/^[!-9;-~]+:/);
        if (message.length === raw.length) {
          without++;
          expect(message.equals(raw)).toBe(true);
        } else {
          withEnvelope++;
          const first = raw.subarray(0, raw.length - message.length).toString('latin1');
          expect(first, `${group}/${name}`).toMatch(/^From [^\n]*\n$/);
          expect(raw.subarray(raw.length - message.length).equals(message)).toBe(true);
        }
      }
    }
    expect(without).toBe(593);
    expect(withEnvelope).toBeGreaterThan(5000);
  });

  it('keeps a first header line and leaves bytes that are not UTF-8 as they are', () => {
    const header = Buffer.from('Return-Path: <a@example.org>\nSubject: Caf\xe9\n\nbody\n', 'latin1');
    expect(withoutEnvelope(header).equals(header)).toBe(true);
    const mbox = Buffer.concat([Buffer.from('From a@example.org  Thu Aug 22 12:46:39 2002\n'), header]);
    expect(withoutEnvelope(mbox).equals(header)).toBe(true);
  });
});
