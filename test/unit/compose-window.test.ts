/** The shell opens a window for the app's own compose page only, and that page gets the API. */
import { describe, expect, it } from 'vitest';
import { APP_URL, isComposeWindowUrl, isTrustedSender } from '../../electron/main/security.js';

describe('compose windows', () => {
  it('allows exactly the app page with a #compose hash', () => {
    expect(isComposeWindowUrl(`${APP_URL}#compose`)).toBe(true);
    expect(isComposeWindowUrl(`${APP_URL}#compose?mode=reply&id=abc`)).toBe(true);
    // The compose window is the app's page, so it is answered like the main window.
    expect(isTrustedSender({ url: `${APP_URL}#compose?mode=new`, top: true })).toBe(true);
  });

  it('refuses anything else window.open may ask for', () => {
    for (const url of [
      APP_URL,
      `${APP_URL}#composer`,
      `${APP_URL}?x=1#compose`,
      'app://popbox/other.html#compose',
      'app://evil/index.html#compose',
      'https://example.org/index.html#compose',
      'javascript:alert(1)//#compose',
      'not a url',
    ]) {
      expect(isComposeWindowUrl(url), url).toBe(false);
    }
  });
});
