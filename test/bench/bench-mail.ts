/**
 * The mailboxes the POP3 benchmark downloads, each a fixed, seeded mix (so every run and every
 * peer gets the same bytes):
 *  - 'ordinary': 800 messages, 70 % 2–20 KB text, 27 % 50–500 KB with attachments, 3 % 1–4 MB
 *    (issue 18: where users live, a few hundred ordinary messages);
 *  - 'large': mailgen's realistic mix (70 % 2–20 KB, 25 % 50–500 KB, 5 % 1–10 MB), 2,000 by
 *    default, 10,000 for the 3.8 GB row.
 */
import { generateMessage, generateMessages, mulberry32 } from '../support/mailgen.js';

export type MailboxCase = 'ordinary' | 'large';

export function benchMailbox(kind: MailboxCase, count: number, seed = 2026): Buffer[] {
  if (kind === 'large') return generateMessages({ seed, count, mix: 'realistic' });
  const rng = mulberry32(seed ^ 0x800);
  const int = (lo: number, hi: number) => lo + Math.floor(rng() * (hi - lo + 1));
  const out: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const r = rng();
    const s = seed * 100_003 + i;
    if (r < 0.7) out.push(generateMessage(s, int(2 * 1024, 20 * 1024)));
    else if (r < 0.97) out.push(generateMessage(s, int(50 * 1024, 500 * 1024), { attachment: true }));
    else out.push(generateMessage(s, int(1024 * 1024, 4 * 1024 * 1024), { attachment: true }));
  }
  return out;
}
