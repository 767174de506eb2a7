import { describe, expect, it } from 'vitest';
import { CHROMIUM_PATH } from './chromium.js';
import { ensureChromium } from './global-setup.js';

describe('globalSetup of the browser tests', () => {
  it('returns at once when Chromium is installed: nothing logged, nothing installed', () => {
    const lines: string[] = [];
    // Were the installed Chromium not recognised, this would throw the install instructions (no apt-get from a test).
    ensureChromium(CHROMIUM_PATH, { canInstall: false, log: (line) => lines.push(line) });
    expect(lines).toEqual([]);
  });

  it('stops with the install command when Chromium is missing and this process may not install it', () => {
    expect(() => ensureChromium('/nonexistent/chromium', { canInstall: false })).toThrow(/apt-get install -y chromium[\s\S]*npx playwright install/);
  });
});
