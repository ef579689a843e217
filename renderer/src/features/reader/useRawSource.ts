/** The message as stored, for View source and All headers: null while loading, a string when it failed. */
import { useEffect, useState } from 'react';
import { call, isApiError } from '../../api/client.js';
import { useServices } from '../../app/context.js';

export type RawSource = { text: string; truncated: boolean };

export function useRawSource(id: string): RawSource | string | null {
  const { api } = useServices();
  const [src, setSrc] = useState<RawSource | string | null>(null);
  useEffect(() => {
    setSrc(null);
    call(api, 'rawSource', { id }).then(setSrc, (e: unknown) => setSrc(isApiError(e) ? e.message : String(e)));
  }, [api, id]);
  return src;
}
