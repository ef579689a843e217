/** The one search box: the query goes to main as it is typed; "?" lists the operators; Escape clears. */
import { forwardRef } from 'react';
import { withOperator } from './operators.js';
import { SearchHelp } from './SearchHelp.js';
import './search.css';

/** `onEnter`: Enter or ↓ in the box goes on to the results (the list's keys from there). */
export const SearchBox = forwardRef<HTMLInputElement, { value: string; onChange: (v: string) => void; onEnter?: () => void }>(function SearchBox({ value, onChange, onEnter }, ref) {
  return (
    <div className="search-field">
      <input
        ref={ref}
        type="search"
        role="searchbox"
        aria-label="Search messages"
        placeholder="Search (/)"
        className="search"
        value={value}
        onChange={(e) => onChange(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Escape') {
            onChange('');
            (e.target as HTMLInputElement).blur();
          } else if ((e.key === 'Enter' || e.key === 'ArrowDown') && onEnter && !e.altKey && !e.ctrlKey && !e.metaKey) {
            e.preventDefault();
            onEnter();
          }
        }}
      />
      <SearchHelp
        onPick={(example) => {
          onChange(withOperator(value, example));
          // After the dialog has handed focus back, so typing goes on in the box.
          setTimeout(() => (ref && typeof ref === 'object' ? ref.current?.focus() : undefined), 0);
        }}
      />
    </div>
  );
});
