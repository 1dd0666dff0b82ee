#!/usr/bin/env node
// `npx cloudfront-cors <command>`: the TypeScript sources run through tsx, like `npm run build`.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../deploy/cli.ts');
process.exitCode = await main(process.argv.slice(2));
