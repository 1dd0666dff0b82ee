/**
 * `npx cloudfront-cors deploy [build flags] [-- SAM ARGUMENTS…]`: builds, then deploys the built
 * template with the AWS SAM CLI (SPEC §9): `sam deploy --template-file ./dist/template.yaml
 * --config-file ./samconfig.toml …`, both in the folder the command runs in. Exit codes: 0
 * deployed; 1 build or deploy failed, or sam is missing; 2 bad arguments.
 */
import { resolve } from 'node:path';
import { checkOutputFolder } from '../build/build.ts';
import { INSTALL_SAM, runSam, samArguments, samInstalled } from '../deploy/deploy.ts';
import { BUILD_FLAGS, BUILD_FLAGS_USAGE, buildOptions, runBuild } from './build.ts';
import { parseFlags, Refusal, type Command } from './command.ts';

export const deployCommand: Command = {
  name: 'deploy',
  summary: 'build, then deploy with the AWS SAM CLI to us-east-1',
  usage: `usage: npx cloudfront-cors deploy [--config PATH] [--out DIR] [--viewer-request function|lambda] [--record-events] [-- SAM ARGUMENTS…]

Builds (as npx cloudfront-cors build), then runs sam deploy on DIR/template.yaml in us-east-1: guided
the first time, which saves your answers in ./samconfig.toml, and from ./samconfig.toml after.

${BUILD_FLAGS_USAGE}
  -- ARGS                        passed to sam deploy as they are, e.g.
                                 -- --parameter-overrides OriginDomainName=my-bucket.s3.us-east-1.amazonaws.com`,

  async run(argv, output) {
    const split = argv.indexOf('--');
    const { values } = parseFlags(split < 0 ? argv : argv.slice(0, split), BUILD_FLAGS);
    const extra = split < 0 ? [] : argv.slice(split + 1);
    if (values.help) {
      output.out(this.usage);
      return 0;
    }
    const options = buildOptions(values);
    // Before sam and the build: a folder the build would refuse, or a build that cannot be deployed.
    try {
      await checkOutputFolder(options.outDir, resolve(options.outDir), resolve(options.config ?? 'cors.config.json'));
    } catch (error) {
      throw new Refusal((error as Error).message);
    }
    if (!samInstalled()) throw new Refusal(INSTALL_SAM);
    try {
      await runBuild(options, output);
    } catch (error) {
      throw new Refusal(`the build failed, nothing was deployed: ${(error as Error).message}`);
    }
    const args = samArguments(resolve(options.outDir, 'template.yaml'), resolve('samconfig.toml'), extra);
    output.out(`\nsam ${args.join(' ')}`);
    const status = runSam(args);
    if (status === 127) throw new Refusal(INSTALL_SAM);
    if (status !== 0) output.err(`cloudfront-cors deploy: sam deploy exited with ${status}`);
    return status === 0 ? 0 : 1;
  },
};
