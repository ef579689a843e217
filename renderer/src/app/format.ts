/** Small formatting helpers shared by the features. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(n < 10 * 1024 ? 1 : 0)} KB`;
  if (n < 1024 * 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MB`;
  return `${(n / 1024 / 1024 / 1024).toFixed(2)} GB`;
}

// Made once: toLocale*String builds a new formatter on every call (~0.5 ms each, per row).
let listFormats: { time: Intl.DateTimeFormat; day: Intl.DateTimeFormat; year: Intl.DateTimeFormat } | null = null;

export function formatListDate(ms: number, now = Date.now()): string {
  listFormats ??= {
    // The locale's own short time, as Thunderbird and Apple Mail show it: "9:05 AM" in the US,
    // "09:05" in Britain. hour: '2-digit' said "04:42 PM", a zero no US clock shows.
    time: new Intl.DateTimeFormat(undefined, { timeStyle: 'short' }),
    day: new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' }),
    year: new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric' }),
  };
  const d = new Date(ms);
  const today = new Date(now);
  if (d.toDateString() === today.toDateString()) return listFormats.time.format(d);
  if (d.getFullYear() === today.getFullYear()) return listFormats.day.format(d);
  return listFormats.year.format(d);
}

export function formatFullDate(ms: number): string {
  return new Date(ms).toLocaleString(undefined, { dateStyle: 'full', timeStyle: 'short' });
}

export function formatTime(ms: number): string {
  return new Date(ms).toLocaleTimeString(undefined, { timeStyle: 'short' });
}
