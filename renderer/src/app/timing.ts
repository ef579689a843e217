/**
 * User Timing for DevTools and the benchmark, without growing forever: the timeline keeps every
 * entry until cleared, and a tray app runs for days, so each name keeps only its latest few.
 */
const KEEP = 8;

export function measure(name: string, start: number, detail?: unknown): void {
  if (performance.getEntriesByName(name, 'measure').length >= KEEP) performance.clearMeasures(name);
  performance.measure(name, { start, detail });
}

/** A User Timing mark (an event worth seeing on the timeline: a reset, a reload), kept the same way. */
export function mark(name: string, detail?: unknown): void {
  if (performance.getEntriesByName(name, 'mark').length >= KEEP) performance.clearMarks(name);
  performance.mark(name, { detail });
}
