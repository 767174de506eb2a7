import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { CHROMIUM_PATH } from './chromium.js';

/**
 * vitest globalSetup for the browser tests: makes sure the Debian Chromium the tests drive is installed.
 * On a fresh machine `npm ci && npm test` is all the set-up there is: as root with apt-get, Chromium is
 * installed from the distribution (never downloaded by Playwright); otherwise the run stops with the command
 * to run. When Chromium is there this costs one file check.
 */
const INSTALL_TIMEOUT_MS = 5 * 60_000;

const HOW_TO_INSTALL = [
  `The browser tests (test/browser) drive Chromium at ${CHROMIUM_PATH}, which is not installed.`,
  'Install it from the distribution, then run the tests again:',
  '  Debian:  sudo apt-get update && sudo apt-get install -y chromium',
  '  Ubuntu:  the "chromium" apt package is a snap wrapper; install a Chromium that provides /usr/bin/chromium (e.g. from the Debian repository) or link an installed one:',
  `           sudo ln -s "$(command -v chromium-browser || command -v google-chrome)" ${CHROMIUM_PATH}`,
  'Do not use `npx playwright install`: the tests use playwright-core with the system browser.',
].join('\n');

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function hasAptGet(): boolean {
  return spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0;
}

function run(command: string, args: string[], deadline: number, log: (line: string) => void): void {
  const timeout = Math.max(1_000, deadline - Date.now());
  log(`[browser tests] $ ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, { stdio: 'inherit', timeout, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (result.error || result.status !== 0) {
    const why = result.error ? result.error.message : `exit status ${result.status}${result.signal ? ` (${result.signal})` : ''}`;
    throw new Error(`[browser tests] "${command} ${args.join(' ')}" failed: ${why}.\n\n${HOW_TO_INSTALL}`);
  }
}

export interface EnsureOptions {
  /** May this process install system packages (root with apt-get)? */
  canInstall?: boolean;
  log?: (line: string) => void;
}

/** Returns at once when `path` is an executable; installs the distribution's Chromium when allowed; throws otherwise. */
export function ensureChromium(path: string = CHROMIUM_PATH, options: EnsureOptions = {}): void {
  if (executable(path)) return;
  const log = options.log ?? ((line: string) => console.log(line));
  const canInstall = options.canInstall ?? (typeof process.getuid === 'function' && process.getuid() === 0 && hasAptGet());
  if (!canInstall) throw new Error(HOW_TO_INSTALL);

  const started = Date.now();
  const deadline = started + INSTALL_TIMEOUT_MS;
  log(`[browser tests] Chromium is not installed at ${path}; installing the distribution package (at most ${INSTALL_TIMEOUT_MS / 60_000} minutes)…`);
  run('apt-get', ['update'], deadline, log);
  run('apt-get', ['install', '-y', 'chromium'], deadline, log);
  if (!executable(path)) throw new Error(`[browser tests] apt-get installed "chromium" but ${path} is still missing.\n\n${HOW_TO_INSTALL}`);
  const version = spawnSync(path, ['--version'], { encoding: 'utf8' }).stdout.trim();
  log(`[browser tests] ${version || 'Chromium'} installed in ${Math.round((Date.now() - started) / 1000)} s.`);
}

export default function setup(): void {
  ensureChromium();
}
