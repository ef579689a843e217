/**
 * User Timing for DevTools and the benchmark, without growing forever: the timeline keeps every
 * entry until cleared, and a tray app runs for days, so each name keeps only its latest few.
 */
const KEEP = 8;

export function measure(name: string, start: number, detail?: unknown): void {
  if (performance.getEntriesByName(name, 'measure').length >= KEEP) performance.clearMeasures(name);
  performance.measure(name, { start, detail });
}
