/** Names, in plain words, what the sanitizer took out of a message that its reader would have seen. */
import './reader.css';

export function RemovedNote({ removed }: { removed: readonly string[] }) {
  if (removed.length === 0) return null;
  return (
    <p className="reader-note" role="note">
      Removed for your safety: {removed.join(', ')}.
    </p>
  );
}
