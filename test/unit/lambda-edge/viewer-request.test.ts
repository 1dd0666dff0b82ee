import { describe, expect, it } from 'vitest';
import type { CloudFrontRequest, CloudFrontResultResponse } from 'aws-lambda';
import { handler } from '../../../functions/lambda-edge/viewer-request.ts';
import { edgeContext } from '../../support/context.ts';
import { loadEvent } from '../../support/events.ts';

const context = edgeContext('cors-viewer-request');
const invoke = (scenario: string) => {
  // Prepare
  const event = loadEvent('lambda-edge/viewer-request', scenario);
  const received = structuredClone(event.Records[0]!.cf.request);
  return { received, result: handler(event, context) as Promise<CloudFrontRequest | CloudFrontResultResponse> };
};

describe('Lambda@Edge viewer request (source)', () => {
  it('rewrites Origin in the Lambda@Edge header shape, keeping the header key', async () => {
    const { result } = invoke('allowed-origin-noncanonical');
    const request = (await result) as CloudFrontRequest;
    expect(request.headers['origin']).toEqual([{ key: 'Origin', value: 'https://app.example.com' }]);
  });

  it('returns the request it received, changed only in Origin', async () => {
    const { received, result } = invoke('disallowed-origin');
    const request = (await result) as CloudFrontRequest;
    expect(request).toEqual({ ...received, headers: { ...received.headers, origin: [{ key: 'Origin', value: 'null' }] } });
  });

  it('answers an allowed preflight with a string status and keyed headers', async () => {
    const response = (await invoke('preflight-allowed').result) as CloudFrontResultResponse;
    expect(response.status).toBe('204');
    expect(response.statusDescription).toBe('No Content');
    expect(response.headers?.['access-control-allow-origin']).toEqual([{ key: 'Access-Control-Allow-Origin', value: 'https://app.example.com' }]);
  });

  it('answers a repeated preflight from its memo exactly as the first time, and tells apart requests that differ', async () => {
    // Prepare: the same preflight three times, and near-misses whose keys could run together.
    const allowed = () => loadEvent('lambda-edge/viewer-request', 'preflight-allowed');
    const variant = (method: string, headers: string) => {
      const event = allowed();
      const request = event.Records[0]!.cf.request;
      request.headers['access-control-request-method'] = [{ key: 'Access-Control-Request-Method', value: method }];
      request.headers['access-control-request-headers'] = [{ key: 'Access-Control-Request-Headers', value: headers }];
      return event;
    };
    // Act
    const first = await handler(allowed(), context);
    const again = [await handler(allowed(), context), await handler(allowed(), context)];
    const pairs = [await handler(variant('PUT', 'x-secret'), context), await handler(variant('PUTx', '-secret'), context), await handler(variant('PUT', 'content-type'), context)];
    // Assess
    expect(again).toEqual([first, first]);
    expect(again[0]).not.toBe(again[1]); // a fresh response each time, never one a caller could change for the next
    expect(pairs.map((response) => (response as CloudFrontResultResponse).status)).toEqual(['403', '403', '204']);
  });

  it('returns the request as received when the headers cannot be written', async () => {
    // Prepare: a frozen header map makes the write throw.
    const event = loadEvent('lambda-edge/viewer-request', 'disallowed-origin');
    Object.freeze(event.Records[0]!.cf.request.headers);
    const received = structuredClone(event.Records[0]!.cf.request);
    // Act
    const request = await handler(event, context);
    // Assess
    expect(request).toEqual(received);
  });

  it.each([
    ['no event', undefined],
    ['no Records', {}],
    ['empty Records', { Records: [] }],
    ['no request', { Records: [{ cf: {} }] }],
    ['a null cf', { Records: [{ cf: null }] }],
    ['a null record', { Records: [null] }],
  ])('returns nothing readable, without throwing, for %s', async (_, event) => {
    await expect(handler(event as never, context)).resolves.toBeUndefined();
  });
});
