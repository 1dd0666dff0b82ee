import { describe, expect, it } from 'vitest';
import { validatePolicy } from '../../../build/policy-file.ts';
import { isCorsResponseHeader, mergeVary } from '../../../functions/core/cors.ts';
import { compilePolicy } from '../../../functions/core/policy.ts';
import { decideOriginResponse as originResponse, decideViewerRequest as viewerRequest, type CorsRequest } from '../../support/decisions.ts';

const policy = compilePolicy(
  validatePolicy({ allowOrigins: ['https://app.example.com'], allowMethods: ['GET', 'PUT'], allowHeaders: ['content-type'] }),
);
const request = (fields: Partial<CorsRequest>): CorsRequest => ({
  method: 'GET',
  host: ['d1.cloudfront.net'],
  origin: [],
  requestMethod: [],
  requestHeaders: [],
  ...fields,
});

describe('mergeVary', () => {
  it.each([
    [[], 'Origin'],
    [['Accept-Encoding'], 'Accept-Encoding, Origin'],
    [['Accept-Encoding, origin'], 'Accept-Encoding, origin'],
    [['Origin', 'ORIGIN', 'Accept'], 'Origin, Accept'],
    [[' , Accept ,, '], 'Accept, Origin'],
    [['Accept', '*'], '*'],
    [['__proto__', '__proto__'], '__proto__, Origin'],
  ])('merges %j into %j', (values, merged) => {
    expect(mergeVary(values, 'Origin')).toBe(merged);
  });

  it('is idempotent', () => {
    const once = mergeVary(['Accept-Encoding', 'X-A, x-a'], 'Origin');
    expect(mergeVary([once], 'Origin')).toBe(once);
  });
});

describe('isCorsResponseHeader', () => {
  it('owns every Access-Control-Allow-*, Expose-Headers and Max-Age header, and nothing else', () => {
    for (const name of ['access-control-allow-origin', 'access-control-allow-credentials', 'access-control-allow-private-network',
      'access-control-expose-headers', 'access-control-max-age']) {
      expect(isCorsResponseHeader(name)).toBe(true);
    }
    for (const name of ['vary', 'access-control-request-method', 'content-type', 'timing-allow-origin']) {
      expect(isCorsResponseHeader(name)).toBe(false);
    }
  });
});

describe('viewerRequest', () => {
  it('passes a request without Origin unchanged', () => {
    expect(viewerRequest(policy, request({}))).toEqual({ action: 'continue' });
  });

  it('passes a same-origin request unchanged, even with an explicit default port in Host', () => {
    expect(viewerRequest(policy, request({ origin: ['https://d1.cloudfront.net'], host: ['D1.cloudfront.net:443'] }))).toEqual({
      action: 'continue',
    });
  });

  it('forwards another spelling of the same origin in its canonical form', () => {
    expect(viewerRequest(policy, request({ origin: ['HTTPS://D1.cloudfront.net:443'], host: ['d1.cloudfront.net'] }))).toEqual({
      action: 'forward',
      origin: 'https://d1.cloudfront.net',
    });
  });

  it.each(['ftp', 's0', 'wss'])('takes a %s origin naming the host for a cross-origin one', (scheme) => {
    expect(viewerRequest(policy, request({ origin: [`${scheme}://d1.cloudfront.net`] }))).toEqual({ action: 'forward', origin: 'null' });
  });

  it('forwards every cross-origin request in public mode as null, the site\'s own canonical', () => {
    const open = compilePolicy(validatePolicy({ allowOrigins: ['*'] }));
    expect(viewerRequest(open, request({ origin: ['https://anyone.example'] }))).toEqual({ action: 'forward', origin: 'null' });
    expect(viewerRequest(open, request({ origin: ['https://d1.cloudfront.net:443'] }))).toEqual({ action: 'forward', origin: 'https://d1.cloudfront.net' });
  });

  it('collapses a request with two Origin headers to null', () => {
    expect(viewerRequest(policy, request({ origin: ['https://app.example.com', 'https://app.example.com'] }))).toEqual({
      action: 'forward',
      origin: 'null',
    });
  });

  it('refuses a preflight that asks for the method twice', () => {
    const decision = viewerRequest(policy, request({ method: 'OPTIONS', origin: ['https://app.example.com'], requestMethod: ['PUT', 'PUT'] }));
    expect(decision).toMatchObject({ action: 'respond', status: 403 });
  });

  it('compares requested methods case-sensitively, as Fetch does', () => {
    const decision = viewerRequest(policy, request({ method: 'OPTIONS', origin: ['https://app.example.com'], requestMethod: ['put'] }));
    expect(decision).toMatchObject({ action: 'respond', status: 403 });
  });

  it('reads Access-Control-Request-Headers split over several headers', () => {
    const decision = viewerRequest(
      policy,
      request({ method: 'OPTIONS', origin: ['https://app.example.com'], requestMethod: ['PUT'], requestHeaders: ['Content-Type', ''] }),
    );
    expect(decision).toMatchObject({ action: 'respond', status: 204 });
  });
});

describe('originResponse', () => {
  it('answers Vary: Origin even when the request had no Origin, so the cache never mixes the two', () => {
    expect(originResponse(policy, request({}), 200, [])).toEqual({ status: null, headers: [], vary: 'Origin' });
  });
});
