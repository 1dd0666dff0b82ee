/**
 * CloudFront's limits on the artifacts, from the quotas page
 * (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html).
 */

/** CloudFront Functions: maximum function size, 10 KB of code. */
export const CLOUDFRONT_FUNCTION_MAX_BYTES = 10 * 1024;

/** Lambda@Edge viewer-request and viewer-response triggers: 1 MB compressed package. */
export const LAMBDA_EDGE_VIEWER_MAX_ZIPPED_BYTES = 1024 * 1024;

/** Lambda@Edge origin-request and origin-response triggers: 50 MB compressed package. */
export const LAMBDA_EDGE_ORIGIN_MAX_ZIPPED_BYTES = 50 * 1024 * 1024;
