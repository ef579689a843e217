/**
 * "I've attached the report" with nothing attached: the words people use for it in English and
 * a few common languages. Quoted lines (a reply's "> …") and the signature are not the user's
 * new words, so they do not count.
 */
const WORDS = [
  // English
  'attached',
  'attachment',
  'attachments',
  'attaching',
  'enclosed',
  // German
  'angehängt',
  'anhang',
  'anbei',
  'im anhang',
  // French
  'pièce jointe',
  'pièces jointes',
  'ci-joint',
  'ci-jointe',
  // Spanish, Portuguese
  'adjunto',
  'adjunta',
  'adjuntos',
  'anexo',
  'em anexo',
  // Italian, Dutch
  'allegato',
  'in allegato',
  'bijlage',
  'bijgevoegd',
];

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
// Whole words only ("attachedness" or "Anhanger" do not count); \p{L} so accented letters are letters.
const PATTERN = new RegExp(`(?<![\\p{L}\\p{N}])(${WORDS.map((w) => escape(w).replace(/ /g, '\\s+')).join('|')})(?![\\p{L}\\p{N}])`, 'iu');

/** The user's own words: up to the signature or the quoted original of a reply or forward. */
export function ownText(text: string): string {
  const lines: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (line === '-- ' || /^-{5,}\s*(Forwarded|Original) message/i.test(line)) break;
    if (/^\s*>/.test(line)) continue;
    // The attribution line before a quote ("On Mon, Ann wrote:") is not the user's own either.
    if (/^On .+ wrote:\s*$/.test(line)) continue;
    lines.push(line);
  }
  return lines.join('\n');
}

/** The word that says something is attached, or null. */
export function attachmentWord(text: string, subject = ''): string | null {
  const m = PATTERN.exec(`${subject}\n${ownText(text)}`);
  return m ? m[1]! : null;
}
