/** The view settings as React state: every change is checked and remembered at once. */
import { useCallback, useState } from 'react';
import { loadLayout, readLayout, saveLayout, type Layout } from './view-settings.js';

export function useLayout(): [Layout, (patch: Partial<Layout>) => void] {
  const [layout, setLayout] = useState(loadLayout);
  const update = useCallback((patch: Partial<Layout>) => {
    setLayout((prev) => {
      const next = readLayout(JSON.stringify({ ...prev, ...patch }));
      saveLayout(next);
      return next;
    });
  }, []);
  return [layout, update];
}
