/**
 * `npm run deploy -- [--config PATH] [--out DIR] [-- SAM ARGUMENTS…]` (or `npx cloudfront-cors deploy …`): builds, then deploys the built
 * template with the AWS SAM CLI to us-east-1, guided the first time (which writes samconfig.toml) and
 * from samconfig.toml after. Arguments after a second `--` go to `sam deploy` as they are, e.g.
 * `--parameter-overrides OriginDomainName=my-bucket.s3.us-east-1.amazonaws.com`.
 *
 * Exit codes: 0 deployed; 1 build or deploy failed, or sam is missing; 2 bad arguments.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { BuildError, ROOT, build } from '../build/build.ts';
import { sizeTable } from '../build/size-table.ts';
import { PolicyError } from '../build/policy-file.ts';

const INSTALL_SAM =
  'the AWS SAM CLI is not installed (https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/install-sam-cli.html), ' +
  'or not on PATH. Install it, configure credentials (aws configure, or AWS_PROFILE), and run npm run deploy again.';

export const DEPLOY_USAGE = `usage: npm run deploy -- [--config PATH] [--out DIR] [-- SAM ARGUMENTS…]

Builds (like npm run build), then runs sam deploy on DIR/template.yaml in us-east-1: guided the first
time, which saves your answers in samconfig.toml, and from samconfig.toml after.

  --config PATH   policy file (default: cors.config.json)
  --out DIR       output folder (default: dist)
  -- ARGS         passed to sam deploy, e.g. -- --parameter-overrides OriginDomainName=my-bucket.s3.us-east-1.amazonaws.com`;

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

export async function deploy(argv: string[]): Promise<number> {
  const split = argv.indexOf('--');
  const own = split < 0 ? argv : argv.slice(0, split);
  const extra = split < 0 ? [] : argv.slice(split + 1);
  let values: { config?: string; out?: string; help?: boolean };
  try {
    ({ values } = parseArgs({ args: own, options: { config: { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean', short: 'h' } } }));
  } catch (error) {
    console.error(`cloudfront-cors deploy: ${(error as Error).message}\n\n${DEPLOY_USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(DEPLOY_USAGE);
    return 0;
  }
  const out = resolve(values.out ?? join(ROOT, 'dist'));
  try {
    const report = await build({ config: values.config, outDir: out });
    console.log(sizeTable(values.out ?? 'dist', report.artifacts));
  } catch (error) {
    if (error instanceof PolicyError || error instanceof BuildError) {
      console.error(`cloudfront-cors deploy: the build failed, nothing was deployed: ${error.message}`);
      return 1;
    }
    throw error;
  }
  const args = samArguments(join(out, 'template.yaml'), join(ROOT, 'samconfig.toml'), extra);
  console.log(`\nsam ${args.join(' ')}`);
  const sam = spawnSync('sam', args, { stdio: 'inherit' });
  if (sam.error !== undefined) {
    console.error(`cloudfront-cors deploy: ${INSTALL_SAM}`);
    return 1;
  }
  return sam.status ?? 1;
}

