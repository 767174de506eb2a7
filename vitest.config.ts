import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Each file gets its own process: the local stack sets process-wide SDK endpoints.
    isolate: true,
    // Handlers log every action; tests keep warnings and errors only.
    env: { LOG_LEVEL: 'WARN', CDK_DISABLE_CLI_TELEMETRY: 'true' },
  },
});
