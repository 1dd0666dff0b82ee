/**
 * AWS as attach and detach see it, for tests: the real SDK v3 clients with aws-sdk-client-mock in
 * place of the service, a stack with cloudfront-cors outputs, and a distribution recorded from a
 * real GetDistribution answer, kept as state (ETags, If-Match, tags) so a second run sees the first.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  CloudFrontClient,
  GetDistributionCommand,
  ListTagsForResourceCommand,
  PreconditionFailed,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateDistributionCommand,
  type GetDistributionResult,
} from '@aws-sdk/client-cloudfront';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { ROOT } from '../../build/build.ts';
import { main } from '../../cli/main.ts';

export const FUNCTION_ARN = 'arn:aws:cloudfront::123456789012:function/cors-viewer-request';
export const VIEWER_LAMBDA_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:cors-viewer-request:3';
export const ORIGIN_LAMBDA_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:cors-origin-response:3';
export const CACHE_POLICY_ID = '1a2b3c4d-5e6f-4a8b-9c0d-1e2f3a4b5c6d';
export const STACK_OUTPUTS = {
  ViewerRequestFunctionArn: FUNCTION_ARN,
  ViewerRequestLambdaVersionArn: VIEWER_LAMBDA_ARN,
  OriginResponseLambdaVersionArn: ORIGIN_LAMBDA_ARN,
  CachePolicyId: CACHE_POLICY_ID,
};

type CloudFrontMock = AwsClientStub<CloudFrontClient>;
type CloudFormationMock = AwsClientStub<CloudFormationClient>;

/** Mocks for every CloudFront and CloudFormation client the code under test creates. */
export function awsMocks(): { cloudfront: CloudFrontMock; cloudformation: CloudFormationMock } {
  return { cloudfront: mockClient(CloudFrontClient), cloudformation: mockClient(CloudFormationClient) };
}

/** Clears recorded calls and answers, then serves the stack `cors` with cloudfront-cors outputs. */
export function resetAwsMocks(cloudfront: CloudFrontMock, cloudformation: CloudFormationMock): void {
  cloudfront.reset();
  cloudformation.reset();
  cloudformation.on(DescribeStacksCommand, { StackName: 'cors' }).resolves({
    Stacks: [{
      StackName: 'cors',
      StackStatus: 'CREATE_COMPLETE',
      CreationTime: new Date('2026-11-01T10:00:00Z'),
      Outputs: Object.entries(STACK_OUTPUTS).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
    }],
  });
}

/** Serves the recorded distribution and applies updates to it as CloudFront does. */
export function recordedDistribution(cloudfront: CloudFrontMock) {
  const recorded = JSON.parse(readFileSync(join(ROOT, 'test', 'aws', 'get-distribution', 'several-behaviors.json'), 'utf8')) as GetDistributionResult;
  const state = { config: recorded.Distribution!.DistributionConfig!, etag: recorded.ETag!, updates: 0, tags: new Map<string, string>() };
  cloudfront.on(GetDistributionCommand).callsFake(() =>
    structuredClone({ ETag: state.etag, Distribution: { ...recorded.Distribution, DistributionConfig: state.config } }),
  );
  cloudfront.on(ListTagsForResourceCommand).callsFake(() => ({ Tags: { Items: [...state.tags].map(([Key, Value]) => ({ Key, Value })) } }));
  cloudfront.on(TagResourceCommand).callsFake((input) => {
    for (const tag of input.Tags.Items) state.tags.set(tag.Key, tag.Value);
    return {};
  });
  cloudfront.on(UntagResourceCommand).callsFake((input) => {
    for (const key of input.TagKeys.Items) state.tags.delete(key);
    return {};
  });
  cloudfront.on(UpdateDistributionCommand).callsFake((input) => {
    if (input.IfMatch !== state.etag) {
      throw new PreconditionFailed({ message: 'The precondition given in one or more of the request header fields evaluated to false.', $metadata: { httpStatusCode: 412 } });
    }
    state.config = structuredClone(input.DistributionConfig);
    state.etag = `E${++state.updates}UPDATED`;
    return { ETag: state.etag };
  });
  return state;
}

/** Runs `cloudfront-cors …` in-process and collects what it printed. */
export async function runCli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (line) => out.push(line), err: (line) => err.push(line) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}
