/**
 * `npx cloudfront-cors detach`: takes the cloudfront-cors functions off a cache behavior and
 * restores the cache policy, origin request policy and methods it had before attach (SPEC §8).
 */
import { TARGET_FLAGS, TARGET_FLAGS_USAGE } from './attach.ts';
import { parseFlags, type Command } from './command.ts';

export const detachCommand: Command = {
  name: 'detach',
  summary: 'take them off again, restoring what the behavior had before',
  usage: `usage: npx cloudfront-cors detach --distribution-id ID (--stack-name NAME | ARN flags) [options]

Takes the cloudfront-cors functions off one cache behavior and restores the cache policy, origin
request policy and methods it had before attach. A second run changes nothing.

${TARGET_FLAGS_USAGE}
  --cache-policy-id ID               the cloudfront-cors cache policy, when there is no --stack-name
  -h, --help                         this text

Exit codes: 0 done or nothing to do, 1 refused or failed, 2 bad arguments.`,

  async run(argv, output) {
    const { values } = parseFlags(argv, { ...TARGET_FLAGS, 'cache-policy-id': { type: 'string' } });
    if (values.help) {
      output.out(this.usage);
      return 0;
    }
    const { checkDistributionFlags, detach } = await import('../deploy/distribution.ts');
    checkDistributionFlags(values);
    return detach(values, output);
  },
};
