/**
 * SPEC §8, attach and detach, through the real AWS SDK v3 clients with aws-sdk-client-mock standing
 * in for the service: a distribution shaped like a real GetDistribution answer (several behaviors,
 * other functions attached, legacy cache settings), kept as state so a second run sees the first.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  GetDistributionCommand,
  InvalidArgument,
  NoSuchDistribution,
  PreconditionFailed,
  TagResourceCommand,
  UpdateDistributionCommand,
  type DistributionConfig,
} from '@aws-sdk/client-cloudfront';
import { beforeEach, describe, expect, it } from 'vitest';
import { ROOT } from '../../build/build.ts';
import { attachCommand } from '../../cli/attach.ts';
import { tagKey } from '../../deploy/distribution.ts';
import {
  CACHE_POLICY_ID,
  FUNCTION_ARN,
  ORIGIN_LAMBDA_ARN,
  STACK_OUTPUTS,
  VIEWER_LAMBDA_ARN,
  awsMocks,
  recordedDistribution,
  resetAwsMocks,
  runCli as run,
} from '../support/cloudfront-state.ts';

const { cloudfront, cloudformation } = awsMocks();
const distribution = () => recordedDistribution(cloudfront);
const POLICY = ['--config', join(ROOT, 'test', 'policies', 'example.json')];
const WITH_FLAGS = [
  '--distribution-id', 'E1A2B3C4D5E6F7',
  '--viewer-request-function-arn', FUNCTION_ARN,
  '--origin-response-lambda-arn', ORIGIN_LAMBDA_ARN,
  '--cache-policy-id', CACHE_POLICY_ID,
  ...POLICY,
];
const WITH_STACK = ['--distribution-id', 'E1A2B3C4D5E6F7', '--stack-name', 'cors', ...POLICY];


const behavior = (config: DistributionConfig, pathPattern?: string) =>
  pathPattern === undefined ? config.DefaultCacheBehavior! : config.CacheBehaviors!.Items!.find((b) => b.PathPattern === pathPattern)!;
const updates = () => cloudfront.commandCalls(UpdateDistributionCommand);

beforeEach(() => resetAwsMocks(cloudfront, cloudformation));

describe('cloudfront-cors attach', () => {
  it('changes only the default behavior, writing with the ETag it read, and shows the change first', async () => {
    // Prepare
    const state = distribution();
    const before = structuredClone(state.config);
    // Act
    const result = await run('attach', ...WITH_FLAGS);
    // Assess
    expect(result.code).toBe(0);
    expect(updates()).toHaveLength(1);
    expect(updates()[0]!.args[0].input.IfMatch).toBe('E2QWRUHAPOMQZL');
    const after = behavior(state.config);
    expect(after.FunctionAssociations?.Items).toEqual([
      { FunctionARN: 'arn:aws:cloudfront::123456789012:function/security-headers', EventType: 'viewer-response' },
      { FunctionARN: FUNCTION_ARN, EventType: 'viewer-request' },
    ]);
    expect(after.LambdaFunctionAssociations?.Items).toEqual([{ EventType: 'origin-response', LambdaFunctionARN: ORIGIN_LAMBDA_ARN, IncludeBody: false }]);
    expect(after.CachePolicyId).toBe(CACHE_POLICY_ID);
    expect(after.AllowedMethods?.Items).toEqual(['GET', 'HEAD', 'OPTIONS', 'PUT', 'POST', 'PATCH', 'DELETE']);
    expect(after.AllowedMethods?.CachedMethods?.Items).toEqual(['HEAD', 'GET']);
    // Nothing else in the distribution changed.
    expect({ ...state.config, DefaultCacheBehavior: undefined }).toEqual({ ...before, DefaultCacheBehavior: undefined });
    expect(result.out).toContain('E1A2B3C4D5E6F7, the default behavior (*):');
    expect(result.out).toMatch(/cache policy\s+- 658327ea-f89d-4fab-a63d-7e88639e58f6\n\s+\+ 1a2b3c4d/);
    expect(result.out).toMatch(/allowed methods\s+- HEAD, GET\n\s+\+ GET, HEAD, OPTIONS, PUT, POST, PATCH, DELETE/);
    expect(result.out).toMatch(/viewer request \(CloudFront Function\)\s+- \(none\)\n\s+\+ arn:aws:cloudfront::123456789012:function\/cors-viewer-request/);
  });

  it('makes no AWS call but the distribution\'s own when every ARN is a flag', async () => {
    distribution();
    await run('attach', ...WITH_FLAGS);
    expect(cloudformation.calls()).toHaveLength(0);
  });

  it('takes the ARNs and the cache policy from the stack outputs', async () => {
    const state = distribution();
    expect((await run('attach', ...WITH_STACK)).code).toBe(0);
    expect(cloudformation.commandCalls(DescribeStacksCommand)).toHaveLength(1);
    expect(behavior(state.config).CachePolicyId).toBe(CACHE_POLICY_ID);
  });

  it('changes nothing the second time', async () => {
    distribution();
    await run('attach', ...WITH_STACK);
    const second = await run('attach', ...WITH_STACK);
    expect(second.code).toBe(0);
    expect(second.out).toContain('nothing to do');
    expect(updates()).toHaveLength(1);
    expect(cloudfront.commandCalls(TagResourceCommand)).toHaveLength(1);
  });

  it('writes nothing with --dry-run', async () => {
    distribution();
    const result = await run('attach', ...WITH_STACK, '--dry-run');
    expect(result.code).toBe(0);
    expect(result.out).toContain('--dry-run: nothing was written.');
    expect(updates()).toHaveLength(0);
    expect(cloudfront.commandCalls(TagResourceCommand)).toHaveLength(0);
  });

  it.each([
    [
      'to replace a viewer-request function it did not create, naming it',
      ['--path-pattern', '/legacy/*'],
      ['already runs the CloudFront Function arn:aws:cloudfront::123456789012:function/url-rewrite on viewer request', '--force'],
    ],
    [
      'to put a Lambda@Edge viewer request beside a CloudFront Function on viewer response',
      ['--viewer-request', 'lambda'],
      ['runs the CloudFront Function arn:aws:cloudfront::123456789012:function/security-headers on viewer response', '--viewer-request function'],
    ],
    [
      'a --path-pattern no behavior has, naming the ones there are',
      ['--path-pattern', '/img/*'],
      ['no cache behavior for "/img/*" (it has: "/api/*", "/legacy/*")'],
    ],
  ])('refuses %s, and writes nothing', async (_, args, messages) => {
    distribution();
    const result = await run('attach', ...WITH_STACK, ...args);
    expect(result.code).toBe(1);
    for (const message of messages) expect(result.err).toContain(message);
    expect(updates()).toHaveLength(0);
    expect(cloudfront.commandCalls(TagResourceCommand)).toHaveLength(0);
  });

  it('replaces it with --force, and trades legacy cache settings for the cache policy', async () => {
    const state = distribution();
    expect((await run('attach', ...WITH_STACK, '--path-pattern', '/legacy/*', '--force')).code).toBe(0);
    const legacy = behavior(state.config, '/legacy/*');
    expect(legacy.FunctionAssociations?.Items).toEqual([{ EventType: 'viewer-request', FunctionARN: FUNCTION_ARN }]);
    expect(legacy.CachePolicyId).toBe(CACHE_POLICY_ID);
    expect(legacy).not.toHaveProperty('ForwardedValues');
    expect(legacy).not.toHaveProperty('DefaultTTL');
    expect(behavior(state.config)).toEqual(JSON.parse(readFileSync(join(ROOT, 'test', 'aws', 'get-distribution', 'several-behaviors.json'), 'utf8')).Distribution.DistributionConfig.DefaultCacheBehavior);
  });

  it('keeps other events\' functions on the behavior it changes', async () => {
    const state = distribution();
    expect((await run('attach', ...WITH_STACK, '--path-pattern', '/api/*', '--viewer-request', 'lambda')).code).toBe(0);
    const api = behavior(state.config, '/api/*');
    expect(api.LambdaFunctionAssociations?.Items).toEqual([
      { LambdaFunctionARN: 'arn:aws:lambda:us-east-1:123456789012:function:api-auth:12', EventType: 'origin-request', IncludeBody: false },
      { EventType: 'viewer-request', LambdaFunctionARN: VIEWER_LAMBDA_ARN, IncludeBody: false },
      { EventType: 'origin-response', LambdaFunctionARN: ORIGIN_LAMBDA_ARN, IncludeBody: false },
    ]);
    expect(api.AllowedMethods?.Items).toHaveLength(7);
  });

  it('replaces its own older version and its other viewer-request flavour without --force', async () => {
    const state = distribution();
    expect((await run('attach', ...WITH_STACK, '--path-pattern', '/api/*', '--viewer-request', 'lambda')).code).toBe(0);
    cloudformation.on(DescribeStacksCommand).resolves({
      Stacks: [{ StackName: 'cors', StackStatus: 'UPDATE_COMPLETE', CreationTime: new Date(), Outputs: Object.entries({ ...STACK_OUTPUTS, OriginResponseLambdaVersionArn: ORIGIN_LAMBDA_ARN.replace(/:3$/, ':4') }).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })) }],
    });
    const result = await run('attach', ...WITH_STACK, '--path-pattern', '/api/*');
    expect(result.code).toBe(0);
    const after = behavior(state.config, '/api/*');
    expect(after.LambdaFunctionAssociations?.Items).toEqual([
      { LambdaFunctionARN: 'arn:aws:lambda:us-east-1:123456789012:function:api-auth:12', EventType: 'origin-request', IncludeBody: false },
      { EventType: 'origin-response', LambdaFunctionARN: ORIGIN_LAMBDA_ARN.replace(/:3$/, ':4'), IncludeBody: false },
    ]);
    expect(after.FunctionAssociations?.Items).toEqual([{ EventType: 'viewer-request', FunctionARN: FUNCTION_ARN }]);
  });

  it('refuses preflight "origin" on a behavior that caches OPTIONS answers', async () => {
    const state = distribution();
    state.config.DefaultCacheBehavior!.AllowedMethods = {
      Quantity: 3,
      Items: ['GET', 'HEAD', 'OPTIONS'],
      CachedMethods: { Quantity: 3, Items: ['GET', 'HEAD', 'OPTIONS'] },
    };
    const policy = ['--config', join(ROOT, 'test', 'policies', 'origin-preflight.json'), '--origin-request-policy-id', '88a5eaf4-2fd4-4709-b370-b4c650ea3fcf'];
    const result = await run('attach', '--distribution-id', 'E1A2B3C4D5E6F7', '--stack-name', 'cors', ...policy);
    expect(result.code).toBe(1);
    expect(result.err).toContain('caches OPTIONS answers');
    expect(updates()).toHaveLength(0);
  });

  it('records what the behavior had only once the update is made', async () => {
    const state = distribution();
    cloudfront.on(UpdateDistributionCommand).rejects(new InvalidArgument({ message: 'The parameter CachePolicyId is invalid.', $metadata: { httpStatusCode: 400 } }));
    const result = await run('attach', ...WITH_STACK);
    expect(result.code).toBe(1);
    expect(state.tags.size).toBe(0);
  });

  it('names a behavior with a long path pattern in a valid tag key', async () => {
    const key = tagKey(`/${'very-long-segment/'.repeat(20)}*`);
    expect(key.length).toBeLessThanOrEqual(128);
    expect(key).toMatch(/^[\w.:/=+\-@ ]+$/);
  });

  it('reads again and retries once when the distribution changed under it (412)', async () => {
    const state = distribution();
    let raced = false;
    cloudfront.on(UpdateDistributionCommand).callsFake((input) => {
      if (!raced) {
        raced = true;
        state.etag = 'E9SOMEONEELSE';
      }
      if (input.IfMatch !== state.etag) throw new PreconditionFailed({ message: 'precondition failed', $metadata: { httpStatusCode: 412 } });
      state.config = structuredClone(input.DistributionConfig);
      return {};
    });
    const result = await run('attach', ...WITH_STACK);
    expect(result.code).toBe(0);
    expect(result.err).toContain('412');
    expect(updates().map((call) => call.args[0].input.IfMatch)).toEqual(['E2QWRUHAPOMQZL', 'E9SOMEONEELSE']);
  });

  it('stops with a clear message when the distribution changes twice', async () => {
    distribution();
    cloudfront.on(UpdateDistributionCommand).rejects(new PreconditionFailed({ message: 'precondition failed', $metadata: { httpStatusCode: 412 } }));
    const result = await run('attach', ...WITH_STACK);
    expect(result.code).toBe(1);
    expect(result.err).toContain('changed again while this ran (412 twice); nothing was written');
    expect(updates()).toHaveLength(2);
  });

  it('says what AWS said when the distribution does not exist', async () => {
    cloudfront.on(GetDistributionCommand).rejects(new NoSuchDistribution({ message: 'The specified distribution does not exist.', $metadata: { httpStatusCode: 404 } }));
    const result = await run('attach', ...WITH_STACK);
    expect(result.code).toBe(1);
    expect(result.err).toContain('no such distribution: The specified distribution does not exist.');
  });

  it('needs an origin request policy when the origin answers preflights', async () => {
    distribution();
    const policy = join(ROOT, 'test', 'policies', 'origin-preflight.json');
    const result = await run('attach', '--distribution-id', 'E1A2B3C4D5E6F7', '--stack-name', 'cors', '--config', policy);
    expect(result.code).toBe(2);
    expect(result.err).toContain('--origin-request-policy-id');
  });

  it.each([
    [[], /--distribution-id is required/],
    [['--distribution-id', 'E1', '--viewer-request', 'both'], /--viewer-request takes function or lambda/],
    [['--distribution-id', 'E1', '--viewer-request-function-arn', 'a', '--viewer-request-lambda-arn', 'b'], /not both/],
    [['--distribution-id', 'E1', '--bogus'], /Unknown option '--bogus'/],
    [['--distribution-id', 'E1', ...POLICY], /give --stack-name, or --viewer-request-function-arn, --origin-response-lambda-arn, --cache-policy-id/],
  ])('exits 2 for %j', async (args, message) => {
    const result = await run('attach', ...args);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(message);
  });
});

describe('cloudfront-cors detach', () => {
  it('undoes attach: associations off, the previous cache policy and methods back, the record removed', async () => {
    const state = distribution();
    const original = structuredClone(state.config);
    await run('attach', ...WITH_STACK);
    expect(state.tags.get(tagKey(undefined))).toBe('cache-policy=658327ea-f89d-4fab-a63d-7e88639e58f6 methods=HEAD+GET origin-request-policy=none');

    const result = await run('detach', '--distribution-id', 'E1A2B3C4D5E6F7', '--stack-name', 'cors');

    expect(result.code).toBe(0);
    const after = behavior(state.config);
    expect(after.CachePolicyId).toBe(original.DefaultCacheBehavior!.CachePolicyId);
    expect(after.AllowedMethods?.Items).toEqual(['HEAD', 'GET']);
    expect(after.FunctionAssociations?.Items).toEqual(original.DefaultCacheBehavior!.FunctionAssociations!.Items);
    expect(after.LambdaFunctionAssociations?.Items).toEqual([]);
    expect(state.tags.size).toBe(0);
    expect((await run('detach', '--distribution-id', 'E1A2B3C4D5E6F7', '--stack-name', 'cors')).out).toContain('nothing to do');
  });

  it('puts back the origin request policy that preflight "origin" brought', async () => {
    const state = distribution();
    const policy = ['--config', join(ROOT, 'test', 'policies', 'origin-preflight.json'), '--origin-request-policy-id', '88a5eaf4-2fd4-4709-b370-b4c650ea3fcf'];
    expect((await run('attach', '--distribution-id', 'E1A2B3C4D5E6F7', '--stack-name', 'cors', ...policy)).code).toBe(0);
    expect(behavior(state.config).OriginRequestPolicyId).toBe('88a5eaf4-2fd4-4709-b370-b4c650ea3fcf');
    expect((await run('detach', '--distribution-id', 'E1A2B3C4D5E6F7', '--stack-name', 'cors')).code).toBe(0);
    expect(behavior(state.config)).not.toHaveProperty('OriginRequestPolicyId');
  });

  it('attaches the origin request policy that forwards the vouch for a policy with "originStore", and only the function', async () => {
    const state = distribution();
    const store = join(ROOT, 'test', 'policies', 'store.json');
    const flags = ['--distribution-id', 'E1A2B3C4D5E6F7', '--stack-name', 'cors', '--config', store];
    expect((await run('attach', ...flags)).err).toMatch(/no such output and no flag gives --origin-request-policy-id \(the policy has preflight "origin" or "originStore"\)/);
    expect((await run('attach', ...flags, '--origin-request-policy-id', '88a5eaf4-2fd4-4709-b370-b4c650ea3fcf')).code).toBe(0);
    expect(behavior(state.config).OriginRequestPolicyId).toBe('88a5eaf4-2fd4-4709-b370-b4c650ea3fcf');
    expect(behavior(state.config).FunctionAssociations?.Items).toContainEqual({ EventType: 'viewer-request', FunctionARN: FUNCTION_ARN });
    const lambda = await run('attach', ...flags, '--viewer-request', 'lambda');
    expect(lambda).toMatchObject({ code: 1, err: expect.stringMatching(/only the CloudFront Function can read the store/) });
  });

  it('leaves functions it did not attach', async () => {
    const state = distribution();
    const result = await run('detach', '--distribution-id', 'E1A2B3C4D5E6F7', '--stack-name', 'cors', '--path-pattern', '/legacy/*');
    expect(result.code).toBe(0);
    expect(result.out).toContain('nothing to do');
    expect(behavior(state.config, '/legacy/*').FunctionAssociations?.Items).toHaveLength(1);
  });
});

describe('cloudfront-cors --help', () => {
  it('documents every flag', () => {
    for (const flag of ['--distribution-id', '--stack-name', '--viewer-request-function-arn', '--viewer-request-lambda-arn',
      '--origin-response-lambda-arn', '--cache-policy-id', '--origin-request-policy-id', '--viewer-request', '--path-pattern',
      '--config', '--dry-run', '--force', '--help']) {
      expect(attachCommand.usage).toContain(flag);
    }
  });

  it('runs as npx cloudfront-cors, from the bin entry in package.json', () => {
    const result = spawnSync('npx', ['--no-install', 'cloudfront-cors', 'attach', '--help'], { cwd: ROOT, encoding: 'utf8' });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('usage: npx cloudfront-cors attach --distribution-id ID');
  });
});
