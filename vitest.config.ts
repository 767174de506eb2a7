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
    // On with --coverage (`npm test` passes it), so that running a few files does not fail the thresholds. V8 counts
    // what runs in the test processes: code in worker threads (local/lambda-workers, the bench smoke test) or child
    // processes (the stand-ins, `cdk synth` running bin/app.ts in test/infra/cdk-cli.test.ts) is not counted.
    coverage: {
      provider: 'v8',
      include: ['lambdas/**/*.{ts,mjs}', 'lib/**/*.ts', 'local/**/*.{ts,mjs}', 'bin/**/*.ts'],
      reporter: ['text-summary', 'json-summary', 'html'],
      reportsDirectory: 'coverage',
      // The figures are written even when a test fails.
      reportOnFailure: true,
      // Just under the whole suite's figures for the functions (96.31 / 89.96 / 97.93 / 97.80 %): a real drop fails.
      thresholds: { 'lambdas/**': { statements: 96, branches: 89, functions: 97, lines: 97 } },
    },
  },
});
