/**
 * Printing shows the open message alone (print CSS); its HTML frame grows to its whole height
 * first, or only the part that fits the pane would be printed.
 */
import { useEffect } from 'react';

export function usePrintWholeMessage(): void {
  useEffect(() => {
    const frames = () => document.querySelectorAll<HTMLIFrameElement>('iframe.message-frame');
    const fit = () => {
      for (const f of frames()) {
        const h = f.contentDocument?.documentElement.scrollHeight;
        if (h) f.style.height = `${h}px`;
      }
    };
    const unfit = () => frames().forEach((f) => (f.style.height = ''));
    window.addEventListener('beforeprint', fit);
    window.addEventListener('afterprint', unfit);
    return () => {
      window.removeEventListener('beforeprint', fit);
      window.removeEventListener('afterprint', unfit);
    };
  }, []);
}
