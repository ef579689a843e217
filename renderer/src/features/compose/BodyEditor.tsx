/**
 * The body: a plain text box by default; rich text (bold, italic, link, lists, quote) when the
 * user turns it on. Pasted HTML is cleaned to that formatting; the text part is kept from it.
 */
import { useEffect, useRef, useState, type ClipboardEvent } from 'react';
import { cleanHtml, escapeHtml, htmlToText, textToHtml } from './rich-text.js';

export interface BodyValue {
  text: string;
  html: string | null;
}

export function BodyEditor({ value, onChange, autoFocus }: { value: BodyValue; onChange: (v: BodyValue) => void; autoFocus?: boolean }) {
  const rich = value.html !== null;
  const editor = useRef<HTMLDivElement>(null);
  const textarea = useRef<HTMLTextAreaElement>(null);
  const [linking, setLinking] = useState<string | null>(null);
  const savedRange = useRef<Range | null>(null);

  // The editor's content is set when it appears (a draft, or the switch to rich text), never per key:
  // React writing innerHTML while the user types would move the caret.
  useEffect(() => {
    if (rich && editor.current && editor.current.innerHTML !== value.html) editor.current.innerHTML = cleanHtml(value.html ?? '');
  }, [rich]);
  useEffect(() => {
    if (!autoFocus) return;
    if (rich) editor.current?.focus();
    else {
      const t = textarea.current;
      // A reply starts above the quote, as people expect.
      t?.focus();
      t?.setSelectionRange(0, 0);
    }
  }, []);

  const fromEditor = () => {
    const html = editor.current?.innerHTML ?? '';
    onChange({ html, text: htmlToText(html) });
  };
  const exec = (command: string, arg?: string) => {
    editor.current?.focus();
    document.execCommand(command, false, arg);
    fromEditor();
  };
  const onPaste = (e: ClipboardEvent<HTMLDivElement>) => {
    const html = e.clipboardData.getData('text/html');
    const text = e.clipboardData.getData('text/plain');
    e.preventDefault();
    document.execCommand('insertHTML', false, html ? cleanHtml(html) : textToHtml(text));
    fromEditor();
  };
  const startLink = () => {
    const sel = window.getSelection();
    savedRange.current = sel && sel.rangeCount ? sel.getRangeAt(0).cloneRange() : null;
    setLinking('https://');
  };
  const addLink = () => {
    const url = (linking ?? '').trim();
    setLinking(null);
    if (!/^(https?:\/\/|mailto:)\S+$/i.test(url)) return;
    editor.current?.focus();
    const sel = window.getSelection();
    if (savedRange.current && sel) {
      sel.removeAllRanges();
      sel.addRange(savedRange.current);
    }
    if (sel && sel.toString()) document.execCommand('createLink', false, url);
    else document.execCommand('insertHTML', false, `<a href="${escapeHtml(url)}">${escapeHtml(url)}</a>`);
    fromEditor();
  };

  const toggle = () => {
    if (rich) {
      onChange({ text: htmlToText(value.html ?? ''), html: null });
    } else onChange({ text: value.text, html: textToHtml(value.text) });
  };

  return (
    <div className="compose-body">
      <div className="format-bar" role="toolbar" aria-label="Formatting">
        <button type="button" className="small" aria-pressed={rich} onClick={toggle} title={rich ? 'Write plain text (formatting is removed)' : 'Write with formatting'}>
          Rich text
        </button>
        {rich && (
          <>
            <button type="button" className="small" onMouseDown={(e) => e.preventDefault()} onClick={() => exec('bold')} aria-label="Bold" title="Bold (Ctrl+B)">
              <b>B</b>
            </button>
            <button type="button" className="small" onMouseDown={(e) => e.preventDefault()} onClick={() => exec('italic')} aria-label="Italic" title="Italic (Ctrl+I)">
              <i>I</i>
            </button>
            <button type="button" className="small" onMouseDown={(e) => e.preventDefault()} onClick={startLink} aria-label="Link">
              Link
            </button>
            <button type="button" className="small" onMouseDown={(e) => e.preventDefault()} onClick={() => exec('insertUnorderedList')} aria-label="Bulleted list">
              • List
            </button>
            <button type="button" className="small" onMouseDown={(e) => e.preventDefault()} onClick={() => exec('insertOrderedList')} aria-label="Numbered list">
              1. List
            </button>
            <button type="button" className="small" onMouseDown={(e) => e.preventDefault()} onClick={() => exec('formatBlock', 'blockquote')} aria-label="Quote">
              Quote
            </button>
          </>
        )}
        {linking !== null && (
          <span className="link-input">
            <input
              type="url"
              aria-label="Link address"
              value={linking}
              autoFocus
              onChange={(e) => setLinking(e.target.value)}
              onKeyDown={(e) => {
                if (e.key === 'Enter') {
                  e.preventDefault();
                  addLink();
                } else if (e.key === 'Escape') {
                  e.preventDefault();
                  e.stopPropagation();
                  setLinking(null);
                }
              }}
            />
            <button type="button" className="small" onClick={addLink}>
              Add link
            </button>
          </span>
        )}
      </div>
      {rich ? (
        <div ref={editor} className="compose-editor" contentEditable role="textbox" aria-multiline="true" aria-label="Message text" spellCheck onInput={fromEditor} onPaste={onPaste} suppressContentEditableWarning />
      ) : (
        <textarea ref={textarea} className="compose-text" aria-label="Message text" value={value.text} spellCheck onChange={(e) => onChange({ text: e.target.value, html: null })} />
      )}
    </div>
  );
}
