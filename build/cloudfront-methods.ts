/**
 * CloudFront accepts only three sets of methods on a cache behavior
 * (https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_AllowedMethods.html).
 */
const ALLOWED_METHOD_SETS = [
  ['GET', 'HEAD'],
  ['GET', 'HEAD', 'OPTIONS'],
  ['GET', 'HEAD', 'OPTIONS', 'PUT', 'POST', 'PATCH', 'DELETE'],
] as const;

/**
 * Returns the smallest CloudFront method set that accepts `OPTIONS` (so preflights reach the edge)
 * and every method given: the policy's, and those the behavior already allows.
 *
 * @example cloudFrontAllowedMethods(['GET', 'PUT']) // ['GET', 'HEAD', 'OPTIONS', 'PUT', 'POST', 'PATCH', 'DELETE']
 */
export function cloudFrontAllowedMethods(...methods: string[][]): string[] {
  // Fetch sends non-standard-case methods as written, but CloudFront only knows upper case.
  const needed = ['OPTIONS', ...methods.flat().map((method) => method.toUpperCase())];
  const set = ALLOWED_METHOD_SETS.find((candidate) => needed.every((method) => (candidate as readonly string[]).includes(method)));
  return [...(set ?? ALLOWED_METHOD_SETS[2])];
}
