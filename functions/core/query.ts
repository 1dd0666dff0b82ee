/**
 * `legacyQueryParameters` (SPEC §11): the viewer request drops the query parameters the old
 * one-query-string-per-site workaround added (`logo.png?origin=5`), so old URLs and new share one
 * cache entry. A parameter is dropped when its name, percent-decoded (`+` as a space, as forms
 * encode it), is one the policy lists; everything else stays byte for byte, in order.
 */
import type { CompiledPolicy } from './policy.ts';

/**
 * A raw query string (Lambda@Edge's `querystring`, without `?`) without the listed parameters.
 * Every other part, empty ones included, is kept as it was, in order; a string with nothing to
 * drop is returned as it came.
 *
 * @example withoutLegacyParameters(policy, 'a=1&origin=5&b=%20') // 'a=1&b=%20' when "origin" is listed
 */
export function withoutLegacyParameters(policy: CompiledPolicy, query: string): string {
  if (query === '') return query;
  const parts = query.split('&');
  const kept: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as string;
    const equals = part.indexOf('=');
    if (!isLegacyParameter(policy, decodedName(equals < 0 ? part : part.slice(0, equals)))) kept.push(part);
  }
  return kept.length === parts.length ? query : kept.join('&');
}

/** Whether a query parameter's decoded name is one the policy drops. */
export function isLegacyParameter(policy: CompiledPolicy, name: string): boolean {
  // `=== 1`: an inherited name (`constructor`) is a function, never 1.
  return policy.legacyParameters[name] === 1;
}

/** A name as a form decodes it; one that is not valid percent-encoding is compared as written. */
function decodedName(name: string): string {
  if (name.indexOf('%') < 0 && name.indexOf('+') < 0) return name;
  try {
    return decodeURIComponent(name.split('+').join(' '));
  } catch (error) {
    return name;
  }
}
