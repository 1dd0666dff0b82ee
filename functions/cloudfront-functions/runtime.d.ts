/**
 * What CloudFront Functions' runtime offers beyond ES5.1 that this code uses: `console.log`, whose
 * lines go to CloudWatch Logs (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/functions-javascript-runtime-20.html).
 * Only the ES5 type check (tsconfig.edge.json) reads this; elsewhere Node's `console` is in scope.
 */
declare const console: { log(message: string): void };

/**
 * cloudfront-js-2.0's `crypto` module, as far as the function uses it: HMAC, which the function
 * signs its vouch for a stored origin with (see `viewer-request-store.ts`).
 */
declare module 'crypto' {
  interface Hmac {
    update(data: string): Hmac;
    digest(encoding: 'hex'): string;
  }
  const crypto: { createHmac(algorithm: 'sha256', key: string): Hmac };
  export default crypto;
}
