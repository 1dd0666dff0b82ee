#!/usr/bin/env node
// `npx cloudfront-cors <command>`: the compiled CLI (lib/, written by `npm run compile` and by `npm pack`).
// The AWS SDK prints a nine-line warning about its own future Node support on every client; it is
// not about this command and would bury its output. Set before the SDK is loaded.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
let main;
try {
  ({ main } = await import('../lib/cli/main.js'));
} catch (error) {
  if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !String(error.message).includes('lib/cli/main.js')) throw error;
  console.error('cloudfront-cors: lib/ is missing: in a clone of the repository, run npm run compile first');
  process.exit(1);
}
process.exitCode = await main(process.argv.slice(2));
