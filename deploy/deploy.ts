/**
 * Deploying with the AWS SAM CLI: `sam deploy` on the built template, in us-east-1, guided the
 * first time (which writes samconfig.toml) and from samconfig.toml after. `npx cloudfront-cors
 * deploy` (cli/deploy.ts) builds first, then runs what this file says.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

/** What to do when `sam` is not on PATH. */
export const INSTALL_SAM =
  'the AWS SAM CLI is not installed (https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/install-sam-cli.html), ' +
  'or not on PATH. Install it, configure credentials (aws configure, or AWS_PROFILE), and run npx cloudfront-cors deploy again.';

/**
 * The environment of samconfig.toml that holds cloudfront-cors' answers. Its own, never `default`:
 * a project that is itself a SAM app keeps its stack name in `default`, and deploying this template
 * under that name would replace the app's stack.
 */
export const SAM_CONFIG_ENV = 'cloudfront-cors';

/**
 * The `sam deploy` arguments for a built template: guided, in us-east-1, until samconfig.toml holds
 * answers for cloudfront-cors' environment; from them after.
 */
export function samArguments(template: string, samconfig: string, extra: string[]): string[] {
  const answers = existsSync(samconfig) && new RegExp(`^\\[${SAM_CONFIG_ENV}\\.(deploy|global)\\.parameters\\]`, 'm').test(readFileSync(samconfig, 'utf8'));
  return [
    'deploy',
    '--template-file', template,
    '--config-file', samconfig,
    '--config-env', SAM_CONFIG_ENV,
    ...(answers ? [] : ['--guided', '--region', 'us-east-1', '--capabilities', 'CAPABILITY_IAM']),
    ...extra,
  ];
}

/** Whether the `sam` executable can be started. */
export function samInstalled(): boolean {
  return spawnSync('sam', ['--version'], { stdio: 'ignore' }).error === undefined;
}

/** Runs `sam` with the terminal attached (guided deploys ask questions); resolves to its exit code. */
export function runSam(args: string[]): number {
  const sam = spawnSync('sam', args, { stdio: 'inherit' });
  if (sam.error !== undefined) return 127;
  return sam.status ?? 1;
}
