import { describe, expect, it } from 'vitest';
import { validatePolicy } from '../../../build/policy-file.ts';
import { parseOrigin } from '../../../functions/core/origin.ts';
import { codeShape, compilePolicy, isAllowedHeader, isListedOrigin as isListed, type CompiledPolicy } from '../../../functions/core/policy.ts';
import { decideViewerRequest as viewerRequest } from '../../support/decisions.ts';

const compiled = (file: Record<string, unknown>) => compilePolicy(validatePolicy(file));
/** The lookup asked with a canonical origin's text: a malformed one is never listed. */
const isListedOrigin = (policy: CompiledPolicy, origin: string) => {
  const parsed = parseOrigin(origin);
  return parsed !== null && isListed(policy, parsed);
};

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
    expect(Object.keys(large.origins['https:'] ?? {}).filter((key) => key.startsWith('*.'))).toHaveLength(10_000);
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

describe('origin tables', () => {
  it('groups exact origins under their parent domain when that is shorter, and finds them there', () => {
    const origins = Array.from({ length: 20 }, (_, i) => `https://app-${i}.example.com`);
    const policy = compiled({ allowOrigins: [...origins, 'https://solo.example.org', 'http://localhost:3000'] });
    expect(policy.origins['https:']?.['.example.com']).toEqual(Object.fromEntries(origins.map((_, i) => [`app-${i}`, 1])));
    expect(policy.origins['https:']?.['solo.example.org']).toBe(1); // one origin under its parent: not worth a group
    expect(policy.origins['http:3000']).toEqual({ localhost: 1 });
    for (const origin of [...origins, 'https://solo.example.org', 'http://localhost:3000']) expect(isListedOrigin(policy, origin)).toBe(true);
    for (const origin of ['https://app-20.example.com', 'https://example.com', 'https://x.app-1.example.com', 'http://app-1.example.com']) {
      expect(isListedOrigin(policy, origin)).toBe(false);
    }
  });

  it('never finds what every object inherits, at any level', () => {
    const policy = compiled({ allowOrigins: ['https://app-1.example.com', 'https://app-2.example.com', 'https://*.example.org'] });
    for (const origin of ['constructor://length', 'constructor://length.constructor', 'https://constructor', 'https://constructor.example.com',
      'https://tostring.example.com', 'https://hasownproperty', 'valueof://prototype.constructor', 'https://length.example.com']) {
      expect(isListedOrigin(policy, origin), origin).toBe(false);
    }
  });

  it('says which parts of the engine a policy reaches, so the build drops the rest', () => {
    expect(codeShape(compiled({ allowOrigins: ['https://a.example.com'] }))).toEqual({
      usesWildcards: false, usesGroups: false, usesHeaderPrefixes: false, usesHostLists: false, usesAnyOrigin: false,
      usesEdgePreflight: true, usesMaxAge: false, usesCredentials: false, usesStore: false, usesLegacyParameters: false, usesReportOnly: false, usesRules: false,
    });
    expect(codeShape(compiled({
      allowOrigins: ['https://*.example.org', 'https://app-1.example.com', 'https://app-2.example.com', 'https://app-3.example.com'],
      allowHeaders: ['x-amz-*'], allowCredentials: true, maxAge: 0, preflight: 'origin',
    }))).toEqual({
      usesWildcards: true, usesGroups: true, usesHeaderPrefixes: true, usesHostLists: false, usesAnyOrigin: false,
      usesEdgePreflight: false, usesMaxAge: true, usesCredentials: true, usesStore: false, usesLegacyParameters: false, usesReportOnly: false, usesRules: false,
    });
    expect(codeShape(compiled({ allowOrigins: ['*'] })).usesAnyOrigin).toBe(true);
    expect(codeShape(compiled({ allowOrigins: [], originStore: 'keyvaluestore' })).usesStore).toBe(true);
    expect(codeShape(compiled({ allowOrigins: ['https://a.example.com'], legacyQueryParameters: ['origin'] })).usesLegacyParameters).toBe(true);
    expect(codeShape(compiled({ allowOrigins: ['https://a.example.com'], mode: 'report-only' })).usesReportOnly).toBe(true);
  });
});
