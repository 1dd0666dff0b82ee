import { describe, expect, it } from 'vitest';
import { handler } from '../../../functions/cloudfront-functions/viewer-request.ts';
import { loadEvent } from '../../support/events.ts';

describe('CloudFront Function viewer request (source)', () => {
  it('rewrites Origin in the CloudFront Functions header shape, dropping the other values', () => {
    // Prepare
    const event = loadEvent('cloudfront-functions/viewer-request', 'two-origin-headers');
    // Act
    const request = handler(event) as typeof event.request;
    // Assess
    expect(request.headers['origin']).toEqual({ value: 'null' });
  });

  it('answers a refused preflight with a numeric statusCode and lower-case header names', () => {
    const response = handler(loadEvent('cloudfront-functions/viewer-request', 'preflight-disallowed-header'));
    expect(response).toEqual({
      statusCode: 403,
      statusDescription: 'Forbidden',
      headers: { vary: { value: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers' } },
    });
  });

  it('returns the request as received when the headers cannot be written', () => {
    const event = loadEvent('cloudfront-functions/viewer-request', 'disallowed-origin');
    Object.freeze(event.request.headers);
    const received = structuredClone(event.request);
    expect(handler(event)).toEqual(received);
  });

  it.each([
    ['no event', undefined],
    ['no request', {}],
    ['headers that are not an object', { request: { method: 'GET', headers: 7 } }],
    ['an Origin whose value is not a string', { request: { method: 'GET', headers: { origin: { value: 7 } } } }],
  ])('does not throw for %s', (_, event) => {
    expect(() => handler(event as never)).not.toThrow();
  });
});
