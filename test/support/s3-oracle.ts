/**
 * An oracle for S3's CORS rule matching, written for the tests from S3's documentation
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/cors.html, "How does Amazon S3 evaluate
 * the CORS configuration"): the first rule whose origins hold the request's origin, whose methods
 * hold its method (the requested one, for a preflight) and whose headers cover every requested
 * header answers; no rule, refused. What cloudfront-cors adds is written beside it: a `"*"` rule
 * answers `*` without credentials, the origins only a `"*"` rule holds share `Origin: null`, and a
 * policy of one rule answers a request that is not a preflight whatever its method (SPEC §5.2).
 */
import type { CorsRuleFile } from '../../build/policy-file.ts';
import type { RequestOptions } from '../../testing/index.ts';
import type { ViewerAnswer } from './answers.ts';

/** A rule as a policy file writes it (the pools the tests draw from keep every value canonical already). */
export type Rule = CorsRuleFile;

/** What the oracle expects of the viewer request: the `Origin` forwarded, or an answer. */
export type Expected = { forward: string } | { status: 204 | 403; headers: Record<string, string> };

const PREFLIGHT_VARY = 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers';

/** Whether a rule's origins hold a canonical origin: `*`, an exact entry, or a wildcard's subdomain. */
export function holds(rule: Rule, canonical: string): boolean {
  if (canonical.endsWith('.')) return false; // a fully qualified host is another site, and never allowed
  return rule.allowOrigins.some((entry) => {
    if (entry === '*' || entry === canonical) return true;
    if (!entry.includes('://*.')) return false;
    const [scheme, domain] = entry.split('://*.') as [string, string];
    return canonical.startsWith(`${scheme}://`) && canonical.endsWith(`.${domain}`) && canonical.length > scheme.length + 4 + domain.length;
  });
}

function headerAllowed(rule: Rule, name: string): boolean {
  return (rule.allowHeaders ?? []).some((entry) => entry === '*' || entry === name || (entry.endsWith('*') && name.startsWith(entry.slice(0, -1))));
}

/** S3's choice: the first rule that holds the origin and allows the method and every requested header. */
export function firstRule(rules: Rule[], canonical: string | null, method: string, requested: string[] = [], byMethod = true): Rule | undefined {
  return rules.find(
    (rule) =>
      (rule.allowOrigins[0] === '*' || (canonical !== null && holds(rule, canonical))) &&
      (!byMethod || (rule.allowMethods ?? ['GET', 'HEAD']).includes(method)) &&
      requested.every((name) => headerAllowed(rule, name)),
  );
}

export function oracleViewer(rules: Rule[], canonical: string | null, request: RequestOptions): Expected {
  if (request.requestMethod === undefined) {
    // One cache key per origin a rule names; everything else shares `null`.
    const named = canonical !== null && rules.some((rule) => rule.allowOrigins[0] !== '*' && holds(rule, canonical));
    return { forward: named ? (canonical as string) : 'null' };
  }
  const requested = (request.requestHeaders ?? '').split(',').map((name) => name.trim().toLowerCase()).filter((name) => name !== '');
  const rule = canonical === null || canonical.endsWith('.') ? undefined : firstRule(rules, canonical, request.requestMethod, requested);
  if (rule === undefined) return { status: 403, headers: { vary: PREFLIGHT_VARY } };
  const any = rule.allowOrigins[0] === '*';
  return {
    status: 204,
    headers: {
      'access-control-allow-origin': any ? '*' : (canonical as string),
      'access-control-allow-methods': (rule.allowMethods ?? ['GET', 'HEAD']).join(', '),
      ...(requested.length > 0 ? { 'access-control-allow-headers': requested.join(', ') } : {}),
      ...(rule.maxAge !== undefined ? { 'access-control-max-age': String(rule.maxAge) } : {}),
      ...(rule.allowCredentials ? { 'access-control-allow-credentials': 'true' } : {}),
      vary: PREFLIGHT_VARY,
    },
  };
}

/** The CORS headers the origin response must write for a request forwarded with `Origin: forwarded`. */
export function oracleOriginResponse(rules: Rule[], forwarded: string, method: string): Record<string, string> {
  // A policy of one rule answers any method from its origins (SPEC §5.2); the method chooses among several.
  const rule = firstRule(rules, forwarded === 'null' ? null : forwarded, method, [], rules.length > 1);
  if (rule === undefined) return {};
  const any = rule.allowOrigins[0] === '*';
  return {
    'access-control-allow-origin': any ? '*' : forwarded,
    ...(rule.allowCredentials ? { 'access-control-allow-credentials': 'true' } : {}),
    ...((rule.exposeHeaders ?? []).length > 0 ? { 'access-control-expose-headers': (rule.exposeHeaders ?? []).join(', ') } : {}),
  };
}

/** The oracle's viewer-request answer in the shape `lambdaAnswer` and `functionAnswer` give. */
export function asViewerAnswer(expected: Expected, request: RequestOptions): ViewerAnswer {
  if ('forward' in expected) {
    const headers: Record<string, string[]> = { host: ['d111111abcdef8.cloudfront.net'], origin: [expected.forward] };
    if (request.requestMethod !== undefined) headers['access-control-request-method'] = [request.requestMethod];
    if (request.requestHeaders !== undefined) headers['access-control-request-headers'] = [request.requestHeaders];
    return { kind: 'request', headers };
  }
  return { kind: 'response', status: expected.status, headers: expected.headers };
}
