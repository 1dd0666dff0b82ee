/**
 * A Lambda@Edge invocation context from aws-lambda-test-utils' `mockContextCreator`, shaped like
 * what Lambda passes a replicated edge function: a numbered version in us-east-1, 128 MB, 5 s.
 * (aws-lambda-test-utils is GPL-2.0: it stays a dev dependency and the build refuses to bundle it.)
 */
import type { Context } from 'aws-lambda';
import { mockContextCreator } from 'aws-lambda-test-utils';

export function edgeContext(functionName: string): Context {
  return mockContextCreator(
    {
      functionName: `us-east-1.${functionName}`,
      functionVersion: '7',
      invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}:7`,
      memoryLimitInMB: '128',
      awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef',
      logGroupName: `/aws/lambda/us-east-1.${functionName}`,
      timeInMillis: 5000,
    },
    () => undefined,
  );
}
