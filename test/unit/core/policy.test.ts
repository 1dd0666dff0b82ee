import { describe, expect, it } from 'vitest';
import { validatePolicy } from '../../../build/policy-file.ts';
import { viewerRequest } from '../../../functions/core/cors.ts';
import { compilePolicy, isAllowedHeader, isListedOrigin } from '../../../functions/core/policy.ts';

const compiled = (file: Record<string, unknown>) => compilePolicy(validatePolicy(file));

describe('isListedOrigin', () => {
  const policy = compiled({
    allowOrigins: ['https://app.example.com', 'https://*.example.org', 'http://*.dev.example.net:8080'],
  });

  it.each([
    ['https://app.example.com', true],
    ['https://a.example.org', true],
    ['https://a.b.c.example.org', true],
    ['https://example.org', false],
    ['http://a.example.org', false],
    ['https://a.example.org:8443', false],
    ['http://x.dev.example.net:8080', true],
    ['http://x.dev.example.net', false],
    ['http://dev.example.net:8080', false],
    ['https://[::1]', false],
  ])('%s is allowed: %s', (origin, allowed) => {
    expect(isListedOrigin(policy, origin)).toBe(allowed);
  });

  it('never lets a request match a wildcard entry by sending its text', () => {
    const request = { method: 'GET', host: ['d1.cloudfront.net'], origin: ['https://*.example.org'], requestMethod: [], requestHeaders: [] };
    expect(viewerRequest(policy, request)).toEqual({ action: 'forward', origin: 'null' });
  });

  it('looks wildcards up by the request host, so 10,000 entries cost what 3 do', () => {
    const origins = Array.from({ length: 10_000 }, (_, i) => `https://*.tenant${i}.example.com`);
    const large = compiled({ allowOrigins: origins });
    // The table holds every entry; a lookup tries only the suffixes of the request's own host.
    expect(Object.keys(large.wildcards)).toHaveLength(10_000);
    expect(isListedOrigin(large, 'https://shop.tenant9999.example.com')).toBe(true);
    expect(isListedOrigin(large, 'https://shop.tenant10000.example.com')).toBe(false);
  });
});

describe('isAllowedHeader', () => {
  const policy = compiled({ allowOrigins: ['https://a.example.com'], allowHeaders: ['Content-Type', 'x-amz-*'] });

  it('matches exact names without case and prefixes by their start', () => {
    expect(isAllowedHeader(policy, 'content-type')).toBe(true);
    expect(isAllowedHeader(policy, 'x-amz-meta-owner')).toBe(true);
    expect(isAllowedHeader(policy, 'x-amz-')).toBe(true);
    expect(isAllowedHeader(policy, 'x-am')).toBe(false);
    expect(isAllowedHeader(policy, 'authorization')).toBe(false);
  });

  it('allows every header for "*"', () => {
    expect(isAllowedHeader(compiled({ allowOrigins: ['https://a.example.com'], allowHeaders: ['*'] }), 'authorization')).toBe(true);
  });

  it('never finds an inherited property', () => {
    for (const name of ['__proto__', 'constructor', 'hasOwnProperty', 'toString']) {
      expect(isAllowedHeader(policy, name)).toBe(false);
    }
  });
});

describe('compilePolicy', () => {
  it('is plain JSON, so the build can inline it', () => {
    const policy = compiled({ allowOrigins: ['https://a.example.com'], maxAge: 600 });
    expect(JSON.parse(JSON.stringify(policy))).toEqual(policy);
  });

  it('writes header values once, at build time', () => {
    const policy = compiled({
      allowOrigins: ['https://a.example.com'],
      allowMethods: ['GET', 'PUT', 'PATCH'],
      exposeHeaders: ['ETag', 'x-amz-version-id'],
      maxAge: 0,
    });
    expect(policy.allowMethods).toBe('GET, PUT, PATCH');
    expect(policy.exposeHeaders).toBe('ETag, x-amz-version-id');
    expect(policy.maxAge).toBe('0');
  });
});
