/**
 * Reading and writing Lambda@Edge headers: `{ name: [{ key, value }] }`, the map keyed by the
 * lower-case name (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/lambda-event-structure.html).
 * Readers never trust the shape: a missing map, a non-array entry or a non-string value reads as
 * absent, so no event can make a handler throw (SPEC §6).
 */
import type { CloudFrontHeaders } from 'aws-lambda';
import type { HeaderFields } from '../core/cors.ts';

/** Returns every string value of a header, in order; `[]` when absent or unreadable. */
export function headerValues(headers: CloudFrontHeaders | undefined, name: string): string[] {
  const entries: unknown = headers !== null && typeof headers === 'object' ? headers[name] : undefined;
  if (!Array.isArray(entries)) return NONE;
  // What CloudFront sends: one entry with a string value.
  if (entries.length === 1) {
    const value: unknown = entries[0] !== null && typeof entries[0] === 'object' ? (entries[0] as { value?: unknown }).value : undefined;
    return typeof value === 'string' ? [value] : NONE;
  }
  const values: string[] = [];
  for (let i = 0; i < entries.length; i++) {
    const entry: unknown = entries[i];
    const value: unknown = entry !== null && typeof entry === 'object' ? (entry as { value?: unknown }).value : undefined;
    if (typeof value === 'string') values.push(value);
  }
  return values;
}

/** What an absent header reads as: one frozen array, not a new one per request. */
const NONE: string[] = Object.freeze([]) as unknown as string[];

/** Replaces a header with a single value. */
export function setHeader(headers: CloudFrontHeaders, key: string, value: string): void {
  headers[key.toLowerCase()] = [{ key, value }];
}

/** Writes header fields (lower-case names) into a Lambda@Edge header map, each under its usual spelling. */
export function setHeaders(headers: CloudFrontHeaders, fields: HeaderFields): CloudFrontHeaders {
  for (const name in fields) headers[name] = [{ key: headerKey(name), value: fields[name] as string }];
  return headers;
}

/** The usual spelling of every header the core writes. */
const HEADER_KEYS: Record<string, string> = {};
for (const key of [
  'Access-Control-Allow-Origin',
  'Access-Control-Allow-Methods',
  'Access-Control-Allow-Headers',
  'Access-Control-Allow-Credentials',
  'Access-Control-Expose-Headers',
  'Access-Control-Max-Age',
  'Vary',
]) {
  HEADER_KEYS[key.toLowerCase()] = key;
}

/**
 * The usual spelling of a lower-case header name, as Lambda@Edge's `key` carries it.
 *
 * @example headerKey('access-control-allow-origin') // 'Access-Control-Allow-Origin'
 */
export function headerKey(name: string): string {
  return HEADER_KEYS[name] ?? name.replace(/(^|-)[a-z]/g, (start) => start.toUpperCase());
}
