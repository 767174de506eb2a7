import { describe, expect, it } from 'vitest';
import { CHROMIUM_PATH } from './chromium.js';
import { ensureChromium } from './global-setup.js';

describe('globalSetup of the browser tests', () => {
  it('returns at once when Chromium is installed', () => {
    const started = Date.now();
    const lines: string[] = [];
    ensureChromium(CHROMIUM_PATH, { log: (line) => lines.push(line) });
    expect(lines).toEqual([]);
    expect(Date.now() - started).toBeLessThan(100);
  });

  it('stops with the install command when Chromium is missing and this process may not install it', () => {
    expect(() => ensureChromium('/nonexistent/chromium', { canInstall: false })).toThrow(/apt-get install -y chromium[\s\S]*npx playwright install/);
  });
});
