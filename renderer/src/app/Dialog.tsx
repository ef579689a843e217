/** A modal dialog: above everything (a portal on <body>), keys stay inside, Escape closes. */
import { useRef, type ReactNode } from 'react';
import { createPortal } from 'react-dom';
import { useOverlayKeys } from './overlay.js';

/** `heading`: the dialog shows its label as a title with a Close button beside it. */
export function Dialog({ label, onClose, className, heading, children }: { label: string; onClose: () => void; className?: string; heading?: boolean; children: ReactNode }) {
  const ref = useRef<HTMLDivElement>(null);
  useOverlayKeys(ref, onClose);
  return createPortal(
    <div className="dialog-backdrop" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div ref={ref} role="dialog" aria-modal="true" aria-label={label} tabIndex={-1} className={`dialog${className ? ` ${className}` : ''}`}>
        {heading && (
          <div className="dialog-head">
            <h2>{label}</h2>
            <button type="button" onClick={onClose}>
              Close
            </button>
          </div>
        )}
        {children}
      </div>
    </div>,
    document.body,
  );
}
