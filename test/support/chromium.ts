import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

/** Where a system Chromium may be: $CHROMIUM_PATH first, then the usual package locations. Never a downloaded browser. */
const CANDIDATES = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable', '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome'];

export class ChromiumNotFoundError extends Error {
  override readonly name = 'ChromiumNotFoundError';
  constructor() {
    super('no Chromium found (set CHROMIUM_PATH, or install it: Debian/Ubuntu `sudo apt-get install chromium`, macOS `brew install --cask chromium`); the browser tests need a system Chromium');
    this.stack = `${this.name}: ${this.message}`; // one line, not a trace
  }
}

export function chromiumPath(): string {
  const found = CANDIDATES.find((p): p is string => typeof p === 'string' && p !== '' && existsSync(p));
  if (!found) throw new ChromiumNotFoundError();
  return found;
}

/** Headless system Chromium with the flags a closed network needs (no background connections). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
  });
}
