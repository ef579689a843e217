/** Search over sender, subject and snippet, answered from memory as you type. */
import { forwardRef } from 'react';

export const SearchBox = forwardRef<HTMLInputElement, { value: string; onChange: (v: string) => void }>(function SearchBox({ value, onChange }, ref) {
  return (
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
        }
      }}
    />
  );
});
