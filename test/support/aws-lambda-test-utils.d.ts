declare module 'aws-lambda-test-utils' {
  interface MockContextOptions {
    functionName?: string;
    functionVersion?: string;
    invokedFunctionArn?: string;
    memoryLimitInMB?: string;
    awsRequestId?: string;
    logGroupName?: string;
    logStreamName?: string;
    timeInMillis?: number;
  }
  /** Returns a Lambda context whose succeed/fail/done call `callback`. */
  export function mockContextCreator(options: MockContextOptions, callback: (result: unknown) => void): import('aws-lambda').Context;
}
