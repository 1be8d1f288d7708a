import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration tests start their own dynalite and SES stand-ins on free ports.
    pool: 'forks',
    // Vitest's default is one worker fewer than the cores: one worker on a 2-core machine, and the
    // integration files (mostly waiting on their stand-ins) would run one after another.
    maxWorkers: 2,
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
