/** The query language's forms, for the help popover: what to type, an example, and what it finds. */
export const OPERATORS: readonly { form: string; example: string; what: string }[] = [
  { form: 'word', example: 'invoice', what: 'Messages with the word anywhere: sender, recipients, subject, text, attachment names' },
  { form: '"phrase"', example: '"quarterly report"', what: 'The words together, in this order' },
  { form: 'from:', example: 'from:ann', what: 'Sent by a name or address' },
  { form: 'to:', example: 'to:bob@example.org', what: 'Sent to (or copied to) a name or address' },
  { form: 'subject:', example: 'subject:holiday', what: 'A word in the subject' },
  { form: 'has:attachment', example: 'has:attachment', what: 'With attachments' },
  { form: 'is:unread', example: 'is:unread', what: 'Not read yet' },
  { form: 'is:flagged', example: 'is:flagged', what: 'Flagged' },
  { form: 'filename:', example: 'filename:pdf', what: 'An attachment’s name' },
  { form: 'in:', example: 'in:Archive', what: 'In a folder, by the name the sidebar shows (looks beyond the folder on screen)' },
  { form: 'in:anywhere', example: 'in:anywhere', what: 'Every folder of every account' },
  { form: 'account:', example: 'account:Home', what: 'In one account' },
  { form: 'before:', example: 'before:2026-01-01', what: 'Dated before a day' },
  { form: 'after:', example: 'after:2025-12-01', what: 'Dated on or after a day' },
  { form: 'larger:', example: 'larger:5M', what: 'Bigger than a size (K, M)' },
  { form: 'smaller:', example: 'smaller:100K', what: 'Smaller than a size' },
  { form: 'OR', example: 'ann OR carol', what: 'Either one' },
  { form: '-', example: '-newsletter', what: 'Leave out what matches' },
];

/** The query with `piece` added at the end, one space apart. */
export function withOperator(query: string, piece: string): string {
  const q = query.replace(/\s+$/, '');
  return q ? `${q} ${piece}` : piece;
}
