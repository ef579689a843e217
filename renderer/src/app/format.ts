/** Small formatting helpers shared by the features. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(n < 10 * 1024 ? 1 : 0)} KB`;
  if (n < 1024 * 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MB`;
  return `${(n / 1024 / 1024 / 1024).toFixed(2)} GB`;
}

type ListFormats = { time: Intl.DateTimeFormat; day: Intl.DateTimeFormat; year: Intl.DateTimeFormat };
// Made once per locale: toLocale*String builds a new formatter on every call (~0.5 ms each, per
// row). The app passes no locale (the person's own); tests pass one to pin what a clock shows.
const listFormats = new Map<string | undefined, ListFormats>();

function formatsFor(locale: string | undefined): ListFormats {
  let f = listFormats.get(locale);
  if (!f) {
    f = {
      // The locale's own short time, as Thunderbird and Apple Mail show it: "9:05 AM" in the US,
      // "09:05" in Britain. hour: '2-digit' said "04:42 PM", a zero no US clock shows.
      time: new Intl.DateTimeFormat(locale, { timeStyle: 'short' }),
      day: new Intl.DateTimeFormat(locale, { month: 'short', day: 'numeric' }),
      year: new Intl.DateTimeFormat(locale, { year: 'numeric', month: 'short', day: 'numeric' }),
    };
    listFormats.set(locale, f);
  }
  return f;
}

export function formatListDate(ms: number, now = Date.now(), locale?: string): string {
  const formats = formatsFor(locale);
  const d = new Date(ms);
  const today = new Date(now);
  if (d.toDateString() === today.toDateString()) return formats.time.format(d);
  if (d.getFullYear() === today.getFullYear()) return formats.day.format(d);
  return formats.year.format(d);
}

export function formatFullDate(ms: number): string {
  return new Date(ms).toLocaleString(undefined, { dateStyle: 'full', timeStyle: 'short' });
}

/** The locale's short time ("4:42 PM", "09:05"); locale is the person's own unless given. */
export function formatTime(ms: number, locale?: string): string {
  return formatsFor(locale).time.format(ms);
}
