import { type BundlingOptions, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';

/** How every function of the stack is bundled (esbuild, no Docker): ESM for Node.js 22, the AWS SDK from the runtime. */
export const FUNCTION_BUNDLING = {
  forceDockerBundling: false,
  format: OutputFormat.ESM,
  target: 'node22',
  mainFields: ['module', 'main'],
  // ESM output, but some bundled CommonJS dependencies call require().
  banner: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  externalModules: ['@aws-sdk/*'],
  minify: true,
  sourceMap: true,
  sourcesContent: false,
} as const satisfies BundlingOptions;
