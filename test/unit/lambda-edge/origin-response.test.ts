import { describe, expect, it } from 'vitest';
import type { CloudFrontResponse } from 'aws-lambda';
import { handler } from '../../../functions/lambda-edge/origin-response.ts';
import { edgeContext } from '../../support/context.ts';
import { loadEvent } from '../../support/events.ts';

const context = edgeContext('cors-origin-response');

describe('Lambda@Edge origin response (source)', () => {
  it('replaces what S3 reflected with the policy, in the Lambda@Edge header shape', async () => {
    // Prepare
    const event = loadEvent('lambda-edge/origin-response', 's3-reflects-allowed-origin');
    // Act
    const response = (await handler(event, context)) as CloudFrontResponse;
    // Assess
    expect(response.headers['access-control-allow-origin']).toEqual([{ key: 'Access-Control-Allow-Origin', value: 'https://app.example.com' }]);
    expect(response.headers['access-control-max-age']).toBeUndefined();
    expect(response.headers['vary']).toEqual([{ key: 'Vary', value: 'Origin, Access-Control-Request-Headers, Access-Control-Request-Method' }]);
    expect(response.headers['etag']).toEqual([{ key: 'ETag', value: '"9b2cf535f27731c974343645a3985328"' }]);
  });

  it('keeps every other header in the order the origin sent it', async () => {
    // Prepare: CORS headers between the others, as S3 sends them, in upper case too.
    const event = loadEvent('lambda-edge/origin-response', 's3-reflects-allowed-origin');
    const headers = event.Records[0]!.cf.response.headers;
    headers['Access-Control-Allow-Private-Network'] = [{ key: 'Access-Control-Allow-Private-Network', value: 'true' }];
    headers['x-after'] = [{ key: 'X-After', value: 'kept' }];
    const others = Object.keys(headers).filter((name) => !name.toLowerCase().startsWith('access-control-') && name !== 'vary');
    // Act
    const response = (await handler(event, context)) as CloudFrontResponse;
    // Assess
    expect(Object.keys(response.headers).filter((name) => others.includes(name))).toEqual(others);
    expect(response.headers['Access-Control-Allow-Private-Network']).toBeUndefined();
    expect(response.headers['x-after']).toEqual([{ key: 'X-After', value: 'kept' }]);
  });

  it('leaves the header map itself in place when the origin sent no CORS header', async () => {
    const event = loadEvent('lambda-edge/origin-response', 'error-404');
    const headers = event.Records[0]!.cf.response.headers;
    const response = (await handler(event, context)) as CloudFrontResponse;
    expect(response.headers).toBe(headers);
  });

  it('keeps the status as the string Lambda@Edge uses', async () => {
    const response = (await handler(loadEvent('lambda-edge/origin-response', 'error-404'), context)) as CloudFrontResponse;
    expect(response.status).toBe('404');
    expect(response.statusDescription).toBe('Not Found');
  });

  it('removes the origin CORS headers even when the rest of the event cannot be read', async () => {
    // Prepare: a request without headers or method, and a response whose status is not a string.
    const event = loadEvent('lambda-edge/origin-response', 'api-reflects-disallowed-origin');
    const cf = event.Records[0]!.cf as unknown as { request: unknown; response: { status: unknown; headers: object } };
    cf.request = null;
    // Act
    const response = (await handler(event, context)) as CloudFrontResponse;
    // Assess
    expect(Object.keys(response.headers).filter((name) => name.startsWith('access-control-'))).toEqual([]);
    expect(response.headers['content-type']).toBeDefined();
  });

  it.each([
    ['no event', undefined],
    ['no Records', {}],
    ['a null record', { Records: [null] }],
    ['a null cf', { Records: [{ cf: null }] }],
    ['a cf that is a number', { Records: [{ cf: 7 }] }],
    ['no response', { Records: [{ cf: { request: {} } }] }],
    ['headers that are not an object', { Records: [{ cf: { request: {}, response: { status: '200', headers: 'x' } } }] }],
  ])('does not throw for %s', async (_, event) => {
    await expect(handler(event as never, context)).resolves.not.toThrow();
  });
});
