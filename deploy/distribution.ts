/**
 * Attach and detach (SPEC §8): puts the stack's functions and cache policy on one cache behavior
 * of an existing distribution, or takes them off again, through the CloudFront API with the
 * distribution's ETag. `npx cloudfront-cors attach|detach` (cli/attach.ts, cli/detach.ts) parse
 * the flags and call these.
 */
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  CloudFrontClient,
  GetDistributionCommand,
  ListTagsForResourceCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateDistributionCommand,
  type DistributionConfig,
} from '@aws-sdk/client-cloudfront';
import { policyMethods, readPolicyFile } from '../build/policy-file.ts';
import { BadArguments, Refusal, type Output } from '../cli/command.ts';
import { awsMessage } from './aws-message.ts';
import { planAttach, planDetach, renderChanges, type EdgeTargets, type Plan, type PreviousSettings } from './plan.ts';

/** Lambda@Edge and the stack live in us-east-1; CloudFront's API is global and signs there too. */
const REGION = 'us-east-1';

/** The flags attach and detach read (cli/attach.ts and cli/detach.ts parse them). */
export interface DistributionFlags {
  'distribution-id'?: string;
  'stack-name'?: string;
  'viewer-request-function-arn'?: string;
  'viewer-request-lambda-arn'?: string;
  'origin-response-lambda-arn'?: string;
  'cache-policy-id'?: string;
  'origin-request-policy-id'?: string;
  'viewer-request'?: string;
  'path-pattern'?: string;
  config?: string;
  'dry-run'?: boolean;
  force?: boolean;
}
type Flags = DistributionFlags;

/**
 * Checks the flags both verbs share.
 *
 * @throws BadArguments naming what is missing or contradictory
 */
export function checkDistributionFlags(flags: Flags): void {
  if (!flags['distribution-id']) throw new BadArguments('--distribution-id is required');
  const viewer = flags['viewer-request'];
  if (viewer !== undefined && viewer !== 'function' && viewer !== 'lambda') {
    throw new BadArguments(`--viewer-request takes function or lambda, not "${viewer}"`);
  }
  if (flags['viewer-request-function-arn'] && flags['viewer-request-lambda-arn']) {
    throw new BadArguments('give --viewer-request-function-arn or --viewer-request-lambda-arn, not both: a behavior runs one viewer-request function');
  }
}

/**
 * Puts the stack's functions and cache policy on one cache behavior (SPEC §8).
 *
 * @returns the exit code: 0 done or nothing to do
 * @throws BadArguments, Refusal, PolicyError, or an AWS error (see `awsMessage`)
 */
export async function attach(flags: Flags, output: Output): Promise<number> {
  const policy = readPolicyFile(resolve(flags.config ?? 'cors.config.json'), [], flags.config ?? 'cors.config.json');
  const store = policy.originStore !== undefined;
  if (store && (flags['viewer-request'] === 'lambda' || flags['viewer-request-lambda-arn'] !== undefined)) {
    throw new Refusal('the policy has "originStore": only the CloudFront Function can read the store, so attach it (drop --viewer-request lambda and --viewer-request-lambda-arn)');
  }
  // The origin response reads the preflight headers (preflight "origin") or the function's vouch (a store).
  const targets = await resolveTargets(flags, policy.preflight === 'origin' || store);
  const cloudfront = new CloudFrontClient({ region: REGION });
  const id = flags['distribution-id'] as string;
  const pathPattern = flags['path-pattern'];

  return writeWithRetry(cloudfront, id, flags['dry-run'] === true, output, async (config, tags) => {
    const plan = planAttach(config, targets, { pathPattern, methods: policyMethods(policy), force: flags.force === true });
    // Keep what the behavior had before the first attach; a later attach must not overwrite it with ours.
    const key = tagKey(pathPattern);
    const record = plan.ok && plan.changes.length > 0 && !tags.some((tag) => tag.Key === key);
    return { plan, tag: record && plan.ok && plan.previous ? { Key: key, Value: encodePrevious(plan.previous) } : undefined };
  });
}

/** Takes them off again, restoring what the behavior had before attach. */
export async function detach(flags: Flags, output: Output): Promise<number> {
  const outputs = flags['stack-name'] ? await stackOutputs(flags['stack-name']) : {};
  const ours = [
    flags['viewer-request-function-arn'] ?? outputs['ViewerRequestFunctionArn'],
    flags['viewer-request-lambda-arn'] ?? outputs['ViewerRequestLambdaVersionArn'],
    flags['origin-response-lambda-arn'] ?? outputs['OriginResponseLambdaVersionArn'],
  ].filter((arn): arn is string => arn !== undefined);
  if (ours.length === 0) {
    throw new BadArguments('give --stack-name, or the ARNs of the functions to take off (--viewer-request-function-arn, …)');
  }
  const cloudfront = new CloudFrontClient({ region: REGION });
  const pathPattern = flags['path-pattern'];
  const stackCachePolicyId = flags['cache-policy-id'] ?? outputs['CachePolicyId'];

  return writeWithRetry(cloudfront, flags['distribution-id'] as string, flags['dry-run'] === true, output, async (config, tags) => {
    const recorded = tags.find((tag) => tag.Key === tagKey(pathPattern));
    const previous = recorded?.Value ? decodePrevious(recorded.Value) : undefined;
    const plan = planDetach(config, ours, { pathPattern, previous, stackCachePolicyId });
    if (plan.ok && plan.changes.length > 0 && previous?.cachePolicyId === 'legacy') {
      output.err('note: before attach this behavior used legacy cache settings (ForwardedValues); set a cache policy on it yourself.');
    }
    if (plan.ok && recorded === undefined && plan.changes.length > 0) {
      output.err('note: no record of the cache policy before attach; the behavior keeps the cloudfront-cors cache policy.');
    }
    return { plan, untag: recorded?.Key };
  });
}

interface Step {
  plan: Plan;
  /** A tag to write before the update (attach). */
  tag?: { Key: string; Value: string } | undefined;
  /** A tag to remove after the update (detach). */
  untag?: string | undefined;
}

/**
 * Reads the distribution, plans, shows the change and writes it with the ETag read. When someone
 * else changed the distribution in between (412), reads and plans once more; a second conflict stops.
 */
async function writeWithRetry(
  cloudfront: CloudFrontClient,
  id: string,
  dryRun: boolean,
  output: Output,
  decide: (config: DistributionConfig, tags: Array<{ Key?: string; Value?: string }>) => Promise<Step>,
): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    const read = await cloudfront.send(new GetDistributionCommand({ Id: id }));
    const arn = read.Distribution?.ARN;
    const config = read.Distribution?.DistributionConfig;
    if (!arn || !config || !read.ETag) throw new Refusal(`CloudFront returned no configuration for ${id}`);
    const tags = (await cloudfront.send(new ListTagsForResourceCommand({ Resource: arn }))).Tags?.Items ?? [];

    const step = await decide(config, tags);
    if (!step.plan.ok) throw new Refusal(step.plan.reason);
    output.out(renderChanges(step.plan, id));
    if (step.plan.changes.length === 0) return 0;
    if (dryRun) {
      output.out('--dry-run: nothing was written.');
      return 0;
    }
    try {
      await cloudfront.send(new UpdateDistributionCommand({ Id: id, IfMatch: read.ETag, DistributionConfig: step.plan.config }));
    } catch (error) {
      if ((error as Error).name === 'PreconditionFailed' && attempt === 1) {
        output.err(`${id} changed while this ran (412 Precondition Failed); reading it again.`);
        continue;
      }
      if ((error as Error).name === 'PreconditionFailed') {
        throw new Refusal(`${id} changed again while this ran (412 twice); nothing was written. Run the command again when it is quiet.`);
      }
      throw error;
    }
    output.out(`updated ${id}; CloudFront deploys the change to its edge locations within minutes.`);
    // The record is written only once the change it describes is made, and removed only after
    // the change that uses it; failing either is worth a warning, not a failed command.
    try {
      if (step.tag) await cloudfront.send(new TagResourceCommand({ Resource: arn, Tags: { Items: [step.tag] } }));
      if (step.untag) await cloudfront.send(new UntagResourceCommand({ Resource: arn, TagKeys: { Items: [step.untag] } }));
    } catch (error) {
      const what = step.tag ? `record what the behavior had before (${step.tag.Value}) in the tag ${step.tag.Key}` : `remove the tag ${step.untag}`;
      output.err(`warning: could not ${what}: ${awsMessage(error)}`);
    }
    return 0;
  }
}

/**
 * The ARNs and cache policy to attach: flags first, then the stack's outputs.
 *
 * @param forwarding the origin response needs an origin request policy (preflight "origin", or a store)
 */
async function resolveTargets(flags: Flags, forwarding: boolean): Promise<EdgeTargets> {
  const complete =
    (flags['viewer-request-function-arn'] || flags['viewer-request-lambda-arn']) &&
    flags['origin-response-lambda-arn'] &&
    flags['cache-policy-id'] &&
    (!forwarding || flags['origin-request-policy-id']);
  const outputs = flags['stack-name'] && !complete ? await stackOutputs(flags['stack-name']) : {};

  const kind = flags['viewer-request'] ?? (flags['viewer-request-lambda-arn'] ? 'lambda' : 'function');
  const functionArn = flags['viewer-request-function-arn'] ?? outputs['ViewerRequestFunctionArn'];
  const lambdaArn = flags['viewer-request-lambda-arn'] ?? outputs['ViewerRequestLambdaVersionArn'];
  const viewerArn = kind === 'lambda' ? lambdaArn : functionArn;
  const originResponseLambdaArn = flags['origin-response-lambda-arn'] ?? outputs['OriginResponseLambdaVersionArn'];
  const cachePolicyId = flags['cache-policy-id'] ?? outputs['CachePolicyId'];
  const originRequestPolicyId = flags['origin-request-policy-id'] ?? outputs['OriginRequestPolicyId'];

  const missing = [
    viewerArn ? null : kind === 'lambda' ? '--viewer-request-lambda-arn' : '--viewer-request-function-arn',
    originResponseLambdaArn ? null : '--origin-response-lambda-arn',
    cachePolicyId ? null : '--cache-policy-id',
    !forwarding || originRequestPolicyId ? null : '--origin-request-policy-id (the policy has preflight "origin" or "originStore")',
  ].filter((flag): flag is string => flag !== null);
  if (missing.length > 0) {
    const source = flags['stack-name'] ? `the stack ${flags['stack-name']} has no such output and no flag gives` : 'give --stack-name, or';
    throw new BadArguments(`${source} ${missing.join(', ')}`);
  }
  return {
    viewerRequest: { kind: kind as 'function' | 'lambda', arn: viewerArn as string },
    originResponseLambdaArn: originResponseLambdaArn as string,
    cachePolicyId: cachePolicyId as string,
    ...(forwarding ? { originRequestPolicyId: originRequestPolicyId as string } : {}),
    ours: [functionArn, lambdaArn, originResponseLambdaArn].filter((arn): arn is string => arn !== undefined),
  };
}

/** The outputs of a stack in us-east-1, by key. */
export async function stackOutputs(stackName: string): Promise<Record<string, string>> {
  const cloudformation = new CloudFormationClient({ region: REGION });
  const { Stacks } = await cloudformation.send(new DescribeStacksCommand({ StackName: stackName }));
  const stack = Stacks?.[0];
  if (!stack) throw new Refusal(`no stack named ${stackName} in ${REGION}`);
  return Object.fromEntries((stack.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']));
}

/**
 * The tag that records what a behavior had before attach. Tag keys are at most 128 characters of
 * letters, digits, spaces and `_ . : / = + - @`, and a path pattern may be longer or hold `*`:
 * the key names the behavior by a digest of its pattern.
 */
export function tagKey(pathPattern: string | undefined): string {
  return `cloudfront-cors:before:${createHash('sha256').update(pathPattern ?? '*').digest('hex').slice(0, 32)}`;
}

/** A tag value (at most 256 characters, the same alphabet as keys; commas are not allowed). */
export function encodePrevious(previous: PreviousSettings): string {
  return `cache-policy=${previous.cachePolicyId} methods=${previous.allowedMethods.join('+')} origin-request-policy=${previous.originRequestPolicyId}`;
}

export function decodePrevious(value: string): PreviousSettings | undefined {
  const match = /^cache-policy=(\S+) methods=([A-Z+]+) origin-request-policy=(\S+)$/.exec(value);
  return match ? { cachePolicyId: match[1]!, allowedMethods: match[2]!.split('+'), originRequestPolicyId: match[3]! } : undefined;
}
