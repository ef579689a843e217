/** A modal dialog: above everything (a portal on <body>), keys stay inside, Escape closes. */
import { useRef, type ReactNode } from 'react';
import { createPortal } from 'react-dom';
import { useOverlayKeys } from './overlay.js';

export function Dialog({ label, onClose, className, children }: { label: string; onClose: () => void; className?: string; children: ReactNode }) {
  const ref = useRef<HTMLDivElement>(null);
  useOverlayKeys(ref, onClose);
  return createPortal(
    <div className="dialog-backdrop" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div ref={ref} role="dialog" aria-modal="true" aria-label={label} tabIndex={-1} className={`dialog${className ? ` ${className}` : ''}`}>
        {children}
      </div>
    </div>,
    document.body,
  );
}
