/**
 * What CloudFront Functions' runtime offers beyond ES5.1 that this code uses: `console.log`, whose
 * lines go to CloudWatch Logs (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/functions-javascript-runtime-20.html).
 * Only the ES5 type check (tsconfig.edge.json) reads this; elsewhere Node's `console` is in scope.
 */
declare const console: { log(message: string): void };
