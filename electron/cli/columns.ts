/**
 * Text cut to a terminal column by what it looks like, not by its UTF-16 length: a CJK character
 * or an emoji takes two cells, a combining accent none, and a cut never splits a character
 * (an emoji family or a flag stays whole or goes whole).
 */

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** Two cells: East Asian Wide and Fullwidth blocks (Unicode UAX #11), and emoji presentation. */
const WIDE = [
  [0x1100, 0x115f], [0x231a, 0x231b], [0x2329, 0x232a], [0x23e9, 0x23ec], [0x23f0, 0x23f0], [0x23f3, 0x23f3],
  [0x25fd, 0x25fe], [0x2614, 0x2615], [0x2648, 0x2653], [0x267f, 0x267f], [0x2693, 0x2693], [0x26a1, 0x26a1],
  [0x26aa, 0x26ab], [0x26bd, 0x26be], [0x26c4, 0x26c5], [0x26ce, 0x26ce], [0x26d4, 0x26d4], [0x26ea, 0x26ea],
  [0x26f2, 0x26f3], [0x26f5, 0x26f5], [0x26fa, 0x26fa], [0x26fd, 0x26fd], [0x2705, 0x2705], [0x270a, 0x270b],
  [0x2728, 0x2728], [0x274c, 0x274c], [0x274e, 0x274e], [0x2753, 0x2755], [0x2757, 0x2757], [0x2795, 0x2797],
  [0x27b0, 0x27b0], [0x27bf, 0x27bf], [0x2b1b, 0x2b1c], [0x2b50, 0x2b50], [0x2b55, 0x2b55],
  [0x2e80, 0x303e], [0x3041, 0x33ff], [0x3400, 0x4dbf], [0x4e00, 0x9fff], [0xa000, 0xa4cf], [0xa960, 0xa97f],
  [0xac00, 0xd7a3], [0xf900, 0xfaff], [0xfe10, 0xfe19], [0xfe30, 0xfe6f], [0xff00, 0xff60], [0xffe0, 0xffe6],
  [0x16fe0, 0x16fe4], [0x17000, 0x18cff], [0x1b000, 0x1b2ff], [0x1f004, 0x1f004], [0x1f0cf, 0x1f0cf],
  [0x1f18e, 0x1f18e], [0x1f191, 0x1f19a], [0x1f200, 0x1f251], [0x1f300, 0x1f64f], [0x1f680, 0x1f6ff],
  [0x1f7e0, 0x1f7eb], [0x1f90c, 0x1f9ff], [0x1fa70, 0x1faff], [0x20000, 0x2fffd], [0x30000, 0x3fffd],
] as const;

function isWide(cp: number): boolean {
  let lo = 0;
  let hi = WIDE.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const [from, to] = WIDE[mid]!;
    if (cp < from) hi = mid - 1;
    else if (cp > to) lo = mid + 1;
    else return true;
  }
  return false;
}

const ZERO_WIDTH = /^[\p{Mn}\p{Me}\p{Cf}\p{Cc}]/u;

/** Cells one grapheme takes: its first character decides, an emoji presentation selector makes it wide. */
function graphemeWidth(g: string): number {
  const cp = g.codePointAt(0)!;
  if (ZERO_WIDTH.test(g)) return 0;
  if (isWide(cp) || g.includes('\u{fe0f}') || /\p{Regional_Indicator}/u.test(g)) return 2;
  return 1;
}

export function displayWidth(text: string): number {
  let width = 0;
  for (const { segment } of graphemes.segment(text)) width += graphemeWidth(segment);
  return width;
}

/**
 * `text` on one line in exactly `width` cells: line breaks and tabs become spaces, what does
 * not fit ends in "…", and what is short is padded (unless `pad` is false, for the last column).
 */
export function fitColumn(text: string, width: number, pad = true): string {
  if (width <= 0) return '';
  // A subject is the sender's text: C0 and C1 controls (ESC, 8-bit CSI) could drive the
  // terminal, and bidirectional overrides could reorder the columns around them.
  // eslint-disable-next-line no-control-regex -- control characters are what is being removed
  const flat = text.replace(/[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]+/g, ' ');
  let out = '';
  let used = 0;
  if (displayWidth(flat) <= width) {
    out = flat;
    used = displayWidth(flat);
  } else {
    for (const { segment } of graphemes.segment(flat)) {
      const w = graphemeWidth(segment);
      if (used + w > width - 1) break; // keep a cell for the ellipsis
      out += segment;
      used += w;
    }
    // A wide character that did not fit leaves a cell: the ellipsis still ends the column, so
    // the columns after it (and a cut last column) line up to the cell.
    out += `${' '.repeat(width - 1 - used)}…`;
    used = width;
  }
  return pad ? out + ' '.repeat(Math.max(0, width - used)) : out;
}
