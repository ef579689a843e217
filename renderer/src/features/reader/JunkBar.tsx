/**
 * The bar above a message in Junk: opening one showed nothing that said it was junk, and the
 * way out (Not junk) was one button among many. It says who put the message there, as main
 * journaled it with the move (the filter and its score, a rule, the person), so a user can tell
 * a filter mistake from their own; mail filed before that was recorded says only where it is.
 */
import type { JunkedBy } from '../../../../shared/changes.js';
import './reader.css';

/**
 * A score as the bar writes it: three decimals, never rounded up (the filter files junk only
 * from 0.999, and 0.9996 written "1.000" would claim a certainty the filter never has).
 */
function scoreText(score: number): string {
  return (Math.floor(Math.min(1, Math.max(0, score)) * 1000) / 1000).toFixed(3);
}

/** The bar's sentence for how the message came to Junk. */
export function junkCauseText(by: JunkedBy | undefined): string {
  if (!by) return 'This message is in Junk.';
  switch (by.by) {
    case 'filter':
      return by.score === undefined ? 'The junk filter moved this here.' : `The junk filter moved this here (score ${scoreText(by.score)}).`;
    case 'rule':
      return `Your rule “${by.rule}” moved this here.`;
    case 'you':
      return by.moved ? 'You moved this here.' : 'You marked this as junk.';
  }
}

export function JunkBar({ junkedBy, onNotJunk }: { junkedBy?: JunkedBy | undefined; onNotJunk: () => void }) {
  return (
    <div className="junk-bar" role="note" aria-label="Junk">
      <span>{junkCauseText(junkedBy)}</span>
      <button type="button" className="small" onClick={onNotJunk} title="Move it back and teach the junk filter it is not junk">
        Not junk
      </button>
    </div>
  );
}
