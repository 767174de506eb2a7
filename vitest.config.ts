import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Each file gets its own process: the local stack sets process-wide SDK endpoints.
    isolate: true,
    // Installs Debian's Chromium for the browser tests when it is missing (root + apt-get), else says how; synthesizes
    // the policies every local stack checks its AWS calls against, and reports the grants no call used (local/iam/).
    globalSetup: ['test/browser/global-setup.ts', 'test/iam/global-setup.ts'],
    // Handlers log every action; tests keep warnings and errors only. Business metrics (EMF lines on stdout) are
    // off, except in the tests that read them (test/handlers/metrics.test.ts).
    env: { LOG_LEVEL: 'WARN', CDK_DISABLE_CLI_TELEMETRY: 'true', POWERTOOLS_METRICS_DISABLED: 'true' },
  },
});
