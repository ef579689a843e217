/**
 * A recipient field: each address a chip (a mistyped one marked before sending), a text box
 * that suggests addresses from stored mail as the user types (↑/↓ to choose, Enter or Tab to
 * take, Escape to close the list), and pasting several addresses at once makes a chip of each.
 */
import { useEffect, useId, useRef, useState, type ClipboardEvent, type KeyboardEvent } from 'react';
import type { AddressSuggestion } from '../../../../shared/compose.js';
import { addressOf, chipLabel, entryOf, isValidEntry, mergeEntries, splitAddresses } from './addresses.js';

export const SUGGEST_DELAY_MS = 150;

export interface AddressFieldProps {
  label: string;
  values: string[];
  onChange: (values: string[]) => void;
  suggest: (query: string) => Promise<AddressSuggestion[]>;
  /** Main's words about this field (a refused address), shown under it. */
  error?: string | null;
  autoFocus?: boolean;
}

export function AddressField({ label, values, onChange, suggest, error, autoFocus }: AddressFieldProps) {
  const id = useId();
  const [text, setText] = useState('');
  const [options, setOptions] = useState<AddressSuggestion[]>([]);
  const [active, setActive] = useState(0);
  const [open, setOpen] = useState(false);
  const inputRef = useRef<HTMLInputElement>(null);
  const asked = useRef(0);
  const invalid = values.filter((v) => !isValidEntry(v));

  // Suggestions a moment after the user stops typing; an older answer never replaces a newer one.
  useEffect(() => {
    const q = text.trim();
    if (!q) {
      setOptions([]);
      setOpen(false);
      return;
    }
    const n = ++asked.current;
    const t = setTimeout(() => {
      suggest(q).then(
        (list) => {
          if (n !== asked.current) return;
          const chosen = new Set(values.map((v) => addressOf(v).toLowerCase()));
          const fresh = list.filter((s) => !chosen.has(s.address.toLowerCase()));
          setOptions(fresh);
          setActive(0);
          setOpen(fresh.length > 0);
        },
        () => {},
      );
    }, SUGGEST_DELAY_MS);
    return () => clearTimeout(t);
  }, [text]);

  const add = (entries: string[]) => {
    if (entries.length) onChange(mergeEntries(values, entries));
    setText('');
    setOpen(false);
    setOptions([]);
  };
  const commitText = () => {
    const parts = splitAddresses(text);
    if (parts.length) add(parts);
    return parts.length > 0;
  };
  const pick = (s: AddressSuggestion) => {
    add([entryOf(s)]);
    inputRef.current?.focus();
  };
  const remove = (i: number) => {
    onChange(values.filter((_, k) => k !== i));
    inputRef.current?.focus();
  };
  /** A chip back into text, to correct it. */
  const edit = (i: number) => {
    const entry = values[i]!;
    onChange(values.filter((_, k) => k !== i));
    setText(entry);
    inputRef.current?.focus();
  };

  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>) => {
    const listed = open && options.length > 0;
    // Ctrl/⌘+Enter sends: what is typed here goes with it (the form's handler sends after this).
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      commitText();
      return;
    }
    if (listed && (e.key === 'ArrowDown' || e.key === 'ArrowUp')) {
      e.preventDefault();
      setActive((a) => (a + (e.key === 'ArrowDown' ? 1 : options.length - 1)) % options.length);
    } else if (listed && (e.key === 'Enter' || e.key === 'Tab') && !e.ctrlKey && !e.metaKey) {
      e.preventDefault();
      pick(options[active]!);
    } else if (e.key === 'Escape' && listed) {
      // Closes the list, not the compose screen.
      e.preventDefault();
      e.stopPropagation();
      setOpen(false);
    } else if ((e.key === 'Enter' && !e.ctrlKey && !e.metaKey) || e.key === ',' || e.key === ';') {
      if (text.trim()) {
        e.preventDefault();
        commitText();
      } else if (e.key !== 'Enter') e.preventDefault();
    } else if (e.key === 'Backspace' && text === '' && values.length > 0) {
      e.preventDefault();
      edit(values.length - 1);
    }
  };

  const onPaste = (e: ClipboardEvent<HTMLInputElement>) => {
    const pasted = e.clipboardData.getData('text/plain');
    const parts = splitAddresses(`${text}${pasted}`);
    if (parts.length > 1 || /[,;\n]/.test(pasted)) {
      e.preventDefault();
      add(parts);
    }
  };

  const listId = `${id}-list`;
  const errorId = `${id}-error`;
  const message = error ?? (invalid.length ? `Not a valid address: ${invalid.map(addressOf).join(', ')}` : null);
  return (
    <div className={`compose-row address-field${message ? ' has-error' : ''}`}>
      <label htmlFor={`${id}-input`} className="compose-label">
        {label}
      </label>
      <div className="chips" onMouseDown={(e) => e.target === e.currentTarget && (e.preventDefault(), inputRef.current?.focus())}>
        <ul className="chip-list" aria-label={`${label} recipients`}>
          {values.map((v, i) => {
            const bad = !isValidEntry(v);
            return (
              <li key={`${v}-${i}`} className={`chip${bad ? ' invalid' : ''}`} title={bad ? `Not a valid address: ${v}` : v} aria-invalid={bad || undefined} onDoubleClick={() => edit(i)}>
                <span className="chip-text">{chipLabel(v)}</span>
                <button type="button" className="chip-remove" aria-label={`Remove ${v}`} tabIndex={-1} onClick={() => remove(i)}>
                  ×
                </button>
              </li>
            );
          })}
        </ul>
        <input
          ref={inputRef}
          id={`${id}-input`}
          className="chip-input"
          type="text"
          role="combobox"
          aria-autocomplete="list"
          aria-expanded={open}
          aria-controls={listId}
          aria-activedescendant={open && options[active] ? `${id}-opt-${active}` : undefined}
          aria-describedby={message ? errorId : undefined}
          aria-invalid={message ? true : undefined}
          autoComplete="off"
          spellCheck={false}
          autoFocus={autoFocus}
          value={text}
          onChange={(e) => setText(e.target.value)}
          onKeyDown={onKeyDown}
          onPaste={onPaste}
          onBlur={() => {
            // A click on a suggestion lands first (mousedown keeps the focus); then what is left becomes a chip.
            commitText();
          }}
        />
        {open && options.length > 0 && (
          <ul id={listId} role="listbox" className="suggestions" aria-label={`Suggestions for ${label}`}>
            {options.map((s, i) => (
              <li
                key={s.address}
                id={`${id}-opt-${i}`}
                role="option"
                aria-selected={i === active}
                className={i === active ? 'active' : undefined}
                onMouseDown={(e) => {
                  e.preventDefault();
                  pick(s);
                }}
                onMouseEnter={() => setActive(i)}
              >
                {s.name && <span className="suggestion-name">{s.name}</span>} <span className="suggestion-address">{s.address}</span>
              </li>
            ))}
          </ul>
        )}
      </div>
      {message && (
        <p id={errorId} className="field-error" role="alert">
          {message}
        </p>
      )}
    </div>
  );
}
