/**
 * "matches" in a rule: a glob over the whole value, `*` any run of characters, `?` any one,
 * `\*` `\?` `\\` themselves, case-insensitive. Never a RegExp built from user input: a
 * pattern like `(a+)+$` or `*a*a*a*a*b` must not turn one hostile subject into minutes of CPU.
 *
 * Why this is linear: the pattern is split at its stars into literal segments (with `?`).
 * The first segment must match at the start, the last at the end, and each middle segment is
 * taken at its leftmost place after the previous one. Leftmost is always right for globs (a
 * later place leaves less text for what follows, never more), so nothing is ever retried:
 * each segment scans the text once, and the cost is at most text length × pattern length,
 * with the pattern capped at MAX_PATTERN_CHARS.
 */
import { MAX_PATTERN_CHARS } from '../../../shared/rules.js';

/** One piece between stars: its characters, `null` standing for `?`. */
type Segment = (string | null)[];

export interface Glob {
  /** Starts with a star (the first segment may sit anywhere), ends with one (likewise the last). */
  readonly head: boolean;
  readonly tail: boolean;
  readonly segments: readonly Segment[];
}

export function compileGlob(pattern: string): Glob {
  if (pattern.length > MAX_PATTERN_CHARS) throw new RangeError(`a pattern is at most ${MAX_PATTERN_CHARS} characters`);
  const segments: Segment[] = [[]];
  let head = false;
  let tail = false;
  const chars = [...pattern.toLowerCase()];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    const current = segments[segments.length - 1]!;
    if (c === '\\' && i + 1 < chars.length) {
      current.push(chars[++i]!);
      tail = false;
    } else if (c === '*') {
      if (i === 0) head = true;
      if (current.length > 0) segments.push([]);
      tail = true;
    } else {
      current.push(c === '?' ? null : c);
      tail = false;
    }
  }
  const kept = segments.filter((s) => s.length > 0);
  return { head, tail, segments: kept };
}

/**
 * Counts character comparisons, so a test can see the bound hold (not the clock). With a
 * `limit`, it is also a work budget: one evaluation (a preview, a run) shares one counter, and
 * the match that would pass the limit stops with TooCostly instead of running on.
 */
export interface MatchCounter {
  steps: number;
  limit?: number;
}

/** A rule's patterns need more work than one evaluation may spend (see MatchCounter.limit). */
export class TooCostly extends Error {
  constructor() {
    super('This rule is too costly to check: its “matches” patterns would take too long on this mail. Use “contains”, or a shorter pattern with fewer ? and *.');
    this.name = 'TooCostly';
  }
}

function step(counter: MatchCounter | undefined): void {
  if (!counter) return;
  if (++counter.steps > (counter.limit ?? Infinity)) throw new TooCostly();
}

function segmentAt(text: readonly string[], at: number, seg: Segment, counter?: MatchCounter): boolean {
  if (at + seg.length > text.length) return false;
  for (let k = 0; k < seg.length; k++) {
    step(counter);
    const p = seg[k];
    if (p !== null && p !== text[at + k]) return false;
  }
  return true;
}

/** The leftmost place at or after `from` where `seg` matches; -1 when none. */
function findSegment(text: readonly string[], from: number, seg: Segment, counter?: MatchCounter): number {
  for (let at = from; at + seg.length <= text.length; at++) if (segmentAt(text, at, seg, counter)) return at;
  return -1;
}

/** `lowered`: the caller already lowercased `value` (a body, prepared once per message). */
export function globMatches(glob: Glob, value: string, counter?: MatchCounter, lowered = false): boolean {
  const text = [...(lowered ? value : value.toLowerCase())];
  const segs = glob.segments;
  if (segs.length === 0) return glob.head || glob.tail ? true : text.length === 0;
  // Without stars at all: the one segment is the whole value.
  if (!glob.head && !glob.tail && segs.length === 1) return text.length === segs[0]!.length && segmentAt(text, 0, segs[0]!, counter);
  let pos = 0;
  let first = 0;
  let last = segs.length;
  if (!glob.head) {
    if (!segmentAt(text, 0, segs[0]!, counter)) return false;
    pos = segs[0]!.length;
    first = 1;
  }
  let end = text.length;
  if (!glob.tail) {
    const seg = segs[segs.length - 1]!;
    const at = text.length - seg.length;
    if (at < pos || !segmentAt(text, at, seg, counter)) return false;
    end = at;
    last = segs.length - 1;
  }
  const middle = text.slice(0, end);
  for (let i = first; i < last; i++) {
    const at = findSegment(middle, pos, segs[i]!, counter);
    if (at < 0) return false;
    pos = at + segs[i]!.length;
  }
  return true;
}
