#!/usr/bin/env node
// The `lifecycle-mailer` command. Sources are TypeScript run through tsx, so the
// command works straight after `npm ci` with no build step.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const { register } = await import('tsx/esm/api');
register();
await import('../cli/main.ts');
