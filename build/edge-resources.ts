/**
 * What the edge needs, in one place (SPEC §8): the Lambda@Edge functions' runtime and limits, the
 * CloudFront Function's runtime, the cache key and the headers a preflight answered at the origin
 * needs. The CDK construct (cdk/) creates its resources from these; `template.yaml` says the same in
 * YAML, and a test holds the two together property by property.
 *
 * Lambda@Edge: https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/edge-functions-restrictions.html
 */

/** Lambda@Edge function settings: us-east-1, x86_64, a numbered version, viewer-trigger limits. */
export const LAMBDA_EDGE = {
  runtime: 'nodejs22.x',
  architecture: 'x86_64',
  handler: 'index.handler',
  /** Viewer triggers allow at most 128 MB. */
  memorySize: 128,
  /** Viewer triggers allow at most 5 seconds. */
  timeoutSeconds: 5,
  /** Lambda runs it, and CloudFront's replicas assume it at the edge. */
  trustedServices: ['lambda.amazonaws.com', 'edgelambda.amazonaws.com'],
} as const;

/** The CloudFront Function's runtime: ES5.1 plus a few later features, and KeyValueStore reads. */
export const CLOUDFRONT_FUNCTION_RUNTIME = 'cloudfront-js-2.0';

/**
 * The cache policy: the key is path, query string and `Origin`, so an answer cached for one origin
 * is never served to another (SPEC §7); the viewer-request function keeps `Origin` to one value per
 * allowed origin plus `null`.
 */
export const CACHE_POLICY = {
  headers: ['Origin'],
  queryStrings: 'all',
  cookies: 'none',
  minTtlSeconds: 0,
  defaultTtlSeconds: 86_400,
  maxTtlSeconds: 31_536_000,
  acceptEncodingGzip: true,
  acceptEncodingBrotli: true,
} as const;

/**
 * What the origin request policy forwards for the origin-response function, with `"preflight":
 * "origin"` (what a preflight asks) or `"originStore"` (the CloudFront Function's vouch for a
 * stored origin, `VOUCH_HEADER`). Each is absent from requests that do not need it.
 */
export const FORWARDED_HEADERS = ['Access-Control-Request-Method', 'Access-Control-Request-Headers', 'X-Cors-Vouch'] as const;

/** CloudFront caches GET and HEAD only: a cached OPTIONS answer would ignore the preflight headers. */
export const CACHED_METHODS = ['GET', 'HEAD'] as const;
