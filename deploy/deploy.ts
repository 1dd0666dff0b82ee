/**
 * Deploying with the AWS SAM CLI: `sam deploy` on the built template, in us-east-1, guided the
 * first time (which writes samconfig.toml) and from samconfig.toml after. `npx cloudfront-cors
 * deploy` (cli/deploy.ts) builds first, then runs what this file says.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** What to do when `sam` is not on PATH. */
export const INSTALL_SAM =
  'the AWS SAM CLI is not installed (https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/install-sam-cli.html), ' +
  'or not on PATH. Install it, configure credentials (aws configure, or AWS_PROFILE), and run npx cloudfront-cors deploy again.';

/** The `sam deploy` arguments for a built template. */
export function samArguments(template: string, samconfig: string, extra: string[]): string[] {
  const first = !existsSync(samconfig);
  return [
    'deploy',
    '--template-file', template,
    '--config-file', samconfig,
    ...(first ? ['--guided', '--region', 'us-east-1', '--capabilities', 'CAPABILITY_IAM'] : []),
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
