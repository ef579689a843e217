/** The main window's size and position, remembered, and kept on a screen that still exists. */
export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface WindowState {
  bounds: Rect;
  maximized: boolean;
}

export const DEFAULT_SIZE = { width: 1200, height: 800 };
const MIN = { width: 640, height: 420 };

function overlap(a: Rect, b: Rect): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  return w > 0 && h > 0 ? w * h : 0;
}

/** A saved state parsed defensively; null when unusable. */
export function parseWindowState(json: unknown): WindowState | null {
  if (typeof json !== 'object' || json === null) return null;
  const { bounds, maximized } = json as Partial<WindowState>;
  if (!bounds || ![bounds.x, bounds.y, bounds.width, bounds.height].every((n) => Number.isFinite(n))) return null;
  return { bounds: { x: bounds.x, y: bounds.y, width: Math.max(MIN.width, bounds.width), height: Math.max(MIN.height, bounds.height) }, maximized: maximized === true };
}

/**
 * Where to open: the saved bounds if at least a quarter of the window is on one of today's
 * screens (a monitor may have been unplugged), else centred size only.
 */
export function restoreBounds(saved: WindowState | null, workAreas: readonly Rect[]): { bounds: Partial<Rect> & { width: number; height: number }; maximized: boolean } {
  if (!saved) return { bounds: { ...DEFAULT_SIZE }, maximized: false };
  const area = saved.bounds.width * saved.bounds.height;
  const visible = workAreas.some((w) => overlap(saved.bounds, w) >= area / 4);
  if (visible) return { bounds: saved.bounds, maximized: saved.maximized };
  const first = workAreas[0];
  const width = Math.min(saved.bounds.width, first?.width ?? saved.bounds.width);
  const height = Math.min(saved.bounds.height, first?.height ?? saved.bounds.height);
  return { bounds: { width, height }, maximized: saved.maximized };
}
