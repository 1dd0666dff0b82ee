/**
 * SPEC §5 and §6 on the built origin-response artifact, imported from a copy of its folder alone.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { CloudFrontHeaders, CloudFrontResponse, CloudFrontResponseEvent } from 'aws-lambda';
import { builtArtifacts, testPolicy, type Artifacts } from '../support/artifacts.ts';
import { loadEvent, originResponseEvent, scenarios } from '../support/events.ts';

const S3_VARY = 'Origin, Access-Control-Request-Headers, Access-Control-Request-Method';

/** The CORS headers the example policy gives an allowed origin on an ordinary response. */
const allowed = (origin: string) => ({
  'access-control-allow-origin': origin,
  'access-control-allow-credentials': 'true',
  'access-control-expose-headers': 'ETag, x-amz-version-id',
});

/** The CORS headers and Vary each recorded scenario must end with under test/policies/example.json. */
const EXPECTED: Record<string, { status: string; cors: Record<string, string>; vary: string }> = {
  's3-reflects-allowed-origin': { status: '200', cors: allowed('https://app.example.com'), vary: S3_VARY },
  's3-reflects-null-origin': { status: '200', cors: {}, vary: S3_VARY },
  'api-reflects-disallowed-origin': { status: '200', cors: {}, vary: 'Accept-Encoding, Origin' },
  'no-origin': { status: '200', cors: {}, vary: 'Origin' },
  'wildcard-origin-with-existing-vary': { status: '200', cors: allowed('https://pr-42.preview.example.com'), vary: 'Accept-Encoding, origin' },
  'vary-star': { status: '200', cors: allowed('https://app.example.com'), vary: '*' },
  'error-404': { status: '404', cors: allowed('https://app.example.com'), vary: 'Origin' },
  'error-500-with-cors': { status: '500', cors: allowed('http://localhost:3000'), vary: 'Origin' },
  // Under preflight "edge" a preflight never reaches the origin; if one does (the viewer function
  // is not attached), it is answered like any response: the origin's status, the policy's headers.
  'preflight-s3-without-cors-rules': { status: '403', cors: allowed('https://app.example.com'), vary: 'Origin' },
  'preflight-refused-method': { status: '200', cors: allowed('https://app.example.com'), vary: S3_VARY },
};

const isOwned = (name: string) => name.startsWith('access-control-') || name === 'vary';

/** The headers CORS does not own, which must come through untouched. */
function otherHeaders(headers: CloudFrontHeaders): CloudFrontHeaders {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !isOwned(name)));
}

function corsHeaders(headers: CloudFrontHeaders): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers)
      .filter(([name]) => name.startsWith('access-control-'))
      .map(([name, entries]) => [name, entries.map((e) => e.value).join(', ')]),
  );
}

async function respond(artifacts: Artifacts, event: CloudFrontResponseEvent): Promise<CloudFrontResponse> {
  return (await artifacts.originResponse(event)) as CloudFrontResponse;
}

describe('built origin response, example policy', () => {
  let artifacts: Artifacts;
  beforeAll(async () => {
    artifacts = await builtArtifacts(testPolicy('example'));
  });

  it('has an expectation for every recorded scenario', () => {
    expect(scenarios('lambda-edge/origin-response')).toEqual(Object.keys(EXPECTED).sort());
  });

  describe.each(scenarios('lambda-edge/origin-response'))('recorded scenario %s', (scenario) => {
    it('ends with the policy CORS headers, one Vary, the status and every other header untouched', async () => {
      // Prepare
      const event = loadEvent('lambda-edge/origin-response', scenario);
      const received = structuredClone(event.Records[0]!.cf.response);
      const expected = EXPECTED[scenario]!;
      // Act
      const response = await respond(artifacts, event);
      // Assess
      expect(response.status).toBe(expected.status);
      expect(response.statusDescription).toBe(received.statusDescription);
      expect(corsHeaders(response.headers)).toEqual(expected.cors);
      expect(response.headers['vary']).toEqual([{ key: 'Vary', value: expected.vary }]);
      expect(otherHeaders(response.headers)).toEqual(otherHeaders(received.headers));
      expect(response).not.toHaveProperty('body');
    });

    it('changes nothing when applied twice', async () => {
      const once = await respond(artifacts, loadEvent('lambda-edge/origin-response', scenario));
      const event = loadEvent('lambda-edge/origin-response', scenario);
      event.Records[0]!.cf.response = structuredClone(once);
      expect(await respond(artifacts, event)).toEqual(once);
    });
  });

  it('lists Origin once in Vary, whatever spelling the origin used', async () => {
    const event = loadEvent('lambda-edge/origin-response', 'no-origin');
    event.Records[0]!.cf.response.headers['vary'] = [
      { key: 'Vary', value: 'ORIGIN, Accept-Encoding' },
      { key: 'vary', value: 'origin' },
    ];
    expect((await respond(artifacts, event)).headers['vary']).toEqual([{ key: 'Vary', value: 'ORIGIN, Accept-Encoding' }]);
  });

  it('removes every Access-Control-Allow-* header the origin invented', async () => {
    const event = loadEvent('lambda-edge/origin-response', 'no-origin');
    event.Records[0]!.cf.response.headers['access-control-allow-private-network'] = [
      { key: 'Access-Control-Allow-Private-Network', value: 'true' },
    ];
    expect(corsHeaders((await respond(artifacts, event)).headers)).toEqual({});
  });

  it('allows an origin the viewer function did not canonicalize (origin-response on its own)', async () => {
    const event = originResponseEvent('no-origin', { headers: { Origin: 'HTTPS://APP.EXAMPLE.COM:443' } });
    expect(corsHeaders((await respond(artifacts, event)).headers)).toMatchObject({
      'access-control-allow-origin': 'https://app.example.com',
    });
  });

  it('gives nothing to a request that carried two Origin headers', async () => {
    const event = originResponseEvent('s3-reflects-allowed-origin', { headers: { Origin: ['https://app.example.com', 'https://app.example.com'] } });
    expect(corsHeaders((await respond(artifacts, event)).headers)).toEqual({});
  });
});

describe('built origin response, preflight: "origin"', () => {
  let artifacts: Artifacts;
  beforeAll(async () => {
    artifacts = await builtArtifacts({ ...testPolicy('example'), preflight: 'origin' });
  });

  it('keeps an odd status of an allowed preflight rather than guess', async () => {
    const event = loadEvent('lambda-edge/origin-response', 'preflight-s3-without-cors-rules');
    event.Records[0]!.cf.response.status = 'x';
    const response = await respond(artifacts, event);
    expect(response.status).toBe('x');
    expect(response).not.toHaveProperty('body');
  });

  it('turns an allowed preflight S3 refused (no CORS rules) into a 204 with the policy headers', async () => {
    const response = await respond(artifacts, loadEvent('lambda-edge/origin-response', 'preflight-s3-without-cors-rules'));
    expect(response.status).toBe('204');
    expect(response.statusDescription).toBe('No Content');
    expect((response as CloudFrontResponse & { body?: string }).body).toBe('');
    // The error body's length and type go with it: a 204 with Content-Length 243 breaks the framing.
    expect(response.headers['content-length']).toBeUndefined();
    expect(response.headers['content-type']).toBeUndefined();
    expect(response.headers['x-amz-request-id']).toBeDefined();
    expect(corsHeaders(response.headers)).toEqual({
      'access-control-allow-origin': 'https://app.example.com',
      'access-control-allow-methods': 'GET, HEAD, PUT',
      'access-control-allow-headers': 'content-type',
      'access-control-max-age': '600',
      'access-control-allow-credentials': 'true',
    });
    expect(response.headers['vary']).toEqual([{ key: 'Vary', value: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers' }]);
  });

  it('keeps the status of a refused preflight and leaves it no Access-Control-Allow-* header', async () => {
    const response = await respond(artifacts, loadEvent('lambda-edge/origin-response', 'preflight-refused-method'));
    expect(response.status).toBe('200');
    expect(corsHeaders(response.headers)).toEqual({});
  });

  it('keeps a successful status of an allowed preflight', async () => {
    const event = originResponseEvent('preflight-refused-method', {
      headers: { 'Access-Control-Request-Method': 'PUT' },
    });
    const response = await respond(artifacts, event);
    expect(response.status).toBe('200');
    expect(response).not.toHaveProperty('body');
    expect(corsHeaders(response.headers)).toMatchObject({ 'access-control-allow-methods': 'GET, HEAD, PUT' });
  });

  it('is idempotent on the converted preflight', async () => {
    const once = await respond(artifacts, loadEvent('lambda-edge/origin-response', 'preflight-s3-without-cors-rules'));
    const event = loadEvent('lambda-edge/origin-response', 'preflight-s3-without-cors-rules');
    event.Records[0]!.cf.response = structuredClone(once);
    expect(await respond(artifacts, event)).toEqual(once);
  });
});

describe('built origin response, public mode ("*")', () => {
  let artifacts: Artifacts;
  beforeAll(async () => {
    artifacts = await builtArtifacts({ allowOrigins: ['*'], exposeHeaders: ['ETag'] });
  });

  it.each(['s3-reflects-allowed-origin', 's3-reflects-null-origin', 'no-origin', 'error-404'])(
    'answers "*" without credentials and leaves Vary as the origin sent it (%s)',
    async (scenario) => {
      const event = loadEvent('lambda-edge/origin-response', scenario);
      const vary = event.Records[0]!.cf.response.headers['vary'];
      const response = await respond(artifacts, event);
      expect(corsHeaders(response.headers)).toEqual({ 'access-control-allow-origin': '*', 'access-control-expose-headers': 'ETag' });
      expect(response.headers['vary']).toEqual(vary);
    },
  );
});

describe('built origin response never breaks the site (SPEC §6)', () => {
  let artifacts: Artifacts;
  beforeAll(async () => {
    artifacts = await builtArtifacts(testPolicy('example'));
  });

  it.each<[string, (event: CloudFrontResponseEvent) => void]>([
    ['a request without headers', (e) => void ((e.Records[0]!.cf.request as { headers: unknown }).headers = undefined)],
    ['a request that is null', (e) => void ((e.Records[0]!.cf as { request: unknown }).request = null)],
    ['a numeric status', (e) => void ((e.Records[0]!.cf.response as { status: unknown }).status = 200)],
    ['a status that is not a number', (e) => void (e.Records[0]!.cf.response.status = 'OK')],
    ['a Vary entry without value', (e) => void (e.Records[0]!.cf.response.headers['vary'] = [{ key: 'Vary' } as never])],
    ['a Vary that is not an array', (e) => void (e.Records[0]!.cf.response.headers['vary'] = 'Origin' as never)],
    ['5,000 response headers', (e) => {
      for (let i = 0; i < 5000; i++) e.Records[0]!.cf.response.headers[`x-h${i}`] = [{ key: `x-h${i}`, value: 'v' }];
    }],
    ['a 1 MB Vary', (e) => void (e.Records[0]!.cf.response.headers['vary'] = [{ key: 'Vary', value: 'a,'.repeat(500_000) }])],
  ])('returns the response, without the origin CORS headers, for %s', async (_, change) => {
    const event = loadEvent('lambda-edge/origin-response', 's3-reflects-null-origin');
    change(event);
    const { status, statusDescription } = event.Records[0]!.cf.response;
    const response = await respond(artifacts, event);
    expect(response).toMatchObject({ status, statusDescription });
    expect(response).not.toHaveProperty('body');
    expect(response.headers['etag']).toBeDefined();
    expect(corsHeaders(response.headers)).toEqual({});
  });

  it('returns the response when its headers cannot be changed, rather than throw', async () => {
    const event = loadEvent('lambda-edge/origin-response', 's3-reflects-null-origin');
    Object.freeze(event.Records[0]!.cf.response.headers);
    await expect(respond(artifacts, event)).resolves.toBeDefined();
  });
});
