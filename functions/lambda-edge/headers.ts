/**
 * Reading and writing Lambda@Edge headers: `{ name: [{ key, value }] }`, the map keyed by the
 * lower-case name (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/lambda-event-structure.html).
 * Readers never trust the shape: a missing map, a non-array entry or a non-string value reads as
 * absent, so no event can make a handler throw (SPEC §6).
 */
import type { CloudFrontHeaders, CloudFrontRequest } from 'aws-lambda';
import { readCorsRequest, type CorsRequest, type HeaderList } from '../core/cors.ts';

/** Returns every string value of a header, in order; `[]` when absent or unreadable. */
export function headerValues(headers: CloudFrontHeaders | undefined, name: string): string[] {
  const entries: unknown = headers !== null && typeof headers === 'object' ? headers[name] : undefined;
  if (!Array.isArray(entries)) return [];
  const values: string[] = [];
  for (const entry of entries) {
    const value: unknown = entry !== null && typeof entry === 'object' ? entry.value : undefined;
    if (typeof value === 'string') values.push(value);
  }
  return values;
}

/** Reads the fields the CORS decisions need from a Lambda@Edge request. */
export function corsRequest(request: Pick<CloudFrontRequest, 'method' | 'headers'>): CorsRequest {
  return readCorsRequest(request.method, (name) => headerValues(request.headers, name));
}

/** Replaces a header with a single value. */
export function setHeader(headers: CloudFrontHeaders, key: string, value: string): void {
  headers[key.toLowerCase()] = [{ key, value }];
}

/** Turns a header list into the Lambda@Edge header map. */
export function toHeaders(list: HeaderList): CloudFrontHeaders {
  const headers: CloudFrontHeaders = {};
  for (const [key, value] of list) setHeader(headers, key, value);
  return headers;
}
