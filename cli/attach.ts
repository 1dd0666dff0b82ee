/**
 * `npx cloudfront-cors attach`: puts the stack's functions and cache policy on one cache behavior
 * of an existing distribution (SPEC §8). Exit codes: 0 done or nothing to do; 1 refused or failed;
 * 2 bad arguments.
 */
import { parseFlags, type Command } from './command.ts';

/** The flags that name what to attach or detach; attach takes a few more. */
export const TARGET_FLAGS = {
  'distribution-id': { type: 'string' },
  'stack-name': { type: 'string' },
  'viewer-request-function-arn': { type: 'string' },
  'viewer-request-lambda-arn': { type: 'string' },
  'origin-response-lambda-arn': { type: 'string' },
  'path-pattern': { type: 'string' },
  'dry-run': { type: 'boolean' },
} as const;

export const TARGET_FLAGS_USAGE = `  --distribution-id ID               the distribution to change (required)
  --stack-name NAME                  read the ARNs and the cache policy from this stack's outputs (us-east-1)
  --viewer-request-function-arn ARN  the CloudFront Function for viewer request (instead of the stack's)
  --viewer-request-lambda-arn ARN    the Lambda@Edge viewer request version (instead of the CloudFront Function)
  --origin-response-lambda-arn ARN   the Lambda@Edge origin response version
  --path-pattern P                   the cache behavior with this path pattern (default: the default behavior)
  --dry-run                          print the change and write nothing`;

export const attachCommand: Command = {
  name: 'attach',
  summary: 'put the functions and cache policy on a cache behavior of an existing distribution',
  usage: `usage: npx cloudfront-cors attach --distribution-id ID (--stack-name NAME | ARN flags) [options]

Puts the cloudfront-cors functions and cache policy on one cache behavior of an existing
distribution, using its ETag. A second run changes nothing; detach undoes it.

${TARGET_FLAGS_USAGE}
  --cache-policy-id ID               the cache policy whose key includes Origin
  --origin-request-policy-id ID      with preflight "origin": the policy forwarding the preflight headers
  --viewer-request function|lambda   which viewer-request flavour to attach (default: function)
  --config PATH                      the policy file, for its methods and preflight mode (default: ./cors.config.json)
  --force                            replace a function or origin request policy cloudfront-cors did not attach
  -h, --help                         this text

With every ARN and the cache policy given as flags, no AWS call is made but the distribution's own.
Exit codes: 0 done or nothing to do, 1 refused or failed, 2 bad arguments.`,

  async run(argv, output) {
    const { values } = parseFlags(argv, {
      ...TARGET_FLAGS,
      'cache-policy-id': { type: 'string' },
      'origin-request-policy-id': { type: 'string' },
      'viewer-request': { type: 'string' },
      config: { type: 'string' },
      force: { type: 'boolean' },
    });
    if (values.help) {
      output.out(this.usage);
      return 0;
    }
    // The CloudFront and CloudFormation clients load only for the verbs that call them.
    const { attach, checkDistributionFlags } = await import('../deploy/distribution.ts');
    checkDistributionFlags(values);
    return attach(values, output);
  },
};
