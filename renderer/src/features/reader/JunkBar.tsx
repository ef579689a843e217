/**
 * The bar above a message in Junk: opening one showed nothing that said it was junk, and the
 * way out (Not junk) was one button among many. The read model does not record whether the
 * filter or the person put it there, so the bar says where it is, not who moved it.
 */
import './reader.css';

export function JunkBar({ onNotJunk }: { onNotJunk: () => void }) {
  return (
    <div className="junk-bar" role="note" aria-label="Junk">
      <span>This message is in Junk.</span>
      <button type="button" className="small" onClick={onNotJunk} title="Move it back and teach the junk filter it is not junk">
        Not junk
      </button>
    </div>
  );
}
