/**
 * `npx cloudfront-cors import` (SPEC §11): S3 CORS rules in every form they come in become one
 * policy, rule for rule; S3's wildcards become policy entries only where they match the same
 * origins; what S3 does unsafely is written safe, and said. The imported policy is then built and
 * answers as S3 would pick the rule, in both flavours and under njs.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetBucketCorsCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../build/build.ts';
import { validatePolicy } from '../../build/policy-file.ts';
import { main } from '../../cli/main.ts';
import { convertS3Rules, originEntries, readS3Cors } from '../../deploy/s3-cors.ts';
import { functionRequestEvent, header, originResponseEvent, viewerRequestEvent, type RequestOptions } from '../../testing/index.ts';
import { functionAnswer, lambdaAnswer } from '../support/answers.ts';
import { builtArtifacts } from '../support/artifacts.ts';
import { asViewerAnswer, oracleOriginResponse, oracleViewer, type Rule } from '../support/s3-oracle.ts';

const BIN = join(ROOT, 'bin', 'cloudfront-cors.js');
const FIXTURES = join(ROOT, 'test', 's3-cors');

/** What every fixture holds: S3's own example, two writers and anyone reading, as a policy. */
const IMPORTED = {
  rules: [
    { id: 'writers', allowOrigins: ['https://www.example1.com'], allowMethods: ['PUT', 'POST', 'DELETE'], allowHeaders: ['*'], exposeHeaders: ['ETag'], allowCredentials: true, maxAge: 3000 },
    { allowOrigins: ['https://www.example2.com', 'https://*.preview.example2.com'], allowMethods: ['PUT', 'POST', 'DELETE'], allowHeaders: ['*'], allowCredentials: true },
    { allowOrigins: ['*'], allowMethods: ['GET', 'HEAD'] },
  ],
};

let project: string;
beforeAll(() => {
  project = mkdtempSync(join(tmpdir(), 'cloudfront-cors-import-'));
});
afterAll(() => rmSync(project, { recursive: true, force: true }));

/** Runs `npx cloudfront-cors import …` in the project folder, as a user does. */
function importCli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, 'import', ...args], { cwd: project, env: { PATH: process.env['PATH'] ?? '', HOME: project } }, (error, stdout, stderr) =>
      resolve({ code: error === null ? 0 : Number(error.code), stdout, stderr }),
    );
  });
}

/** Imports a configuration's text, as the command reads a file. */
function imported(text: string, resource?: string) {
  return convertS3Rules(readS3Cors(text, 'cors.txt', resource));
}

describe('import reads every form S3 rules come in', () => {
  it.each([
    ['get-bucket-cors.json', 'get-bucket-cors JSON'],
    ['console.json', "the S3 console's rule array"],
    ['namespaced.xml', 'XML'],
    ['plain.xml', 'XML'],
    ['template.yaml', 'CloudFormation template in YAML (resource Assets)'],
    ['template.json', 'CloudFormation template in JSON (resource Assets)'],
  ])('%s, into the same policy, rule for rule', (file, form) => {
    const text = readFileSync(join(FIXTURES, file), 'utf8');
    expect(readS3Cors(text, file).form).toBe(form);
    const { policy, notes } = imported(text);
    expect(policy).toEqual(IMPORTED);
    expect(() => validatePolicy(policy)).not.toThrow();
    expect(notes).toEqual([
      expect.stringMatching(/^(CORSRules|CorsRules|CORSRule|rule)\[2\] AllowedOrigins? "\*": imported as a "\*" rule, which answers \* and never with credentials, whatever S3 sent for it/),
      expect.stringMatching(/keep S3's Access-Control-Allow-Credentials: true/),
    ]);
  });
});

describe('import turns S3 origin patterns into policy entries only where they match the same origins', () => {
  it.each([
    ['https://app.example.com', ['https://app.example.com']],
    ['null', []],
    ['https://*.example.com', ['https://*.example.com']],
    ['http://*.dev.example.com:8080', ['http://*.dev.example.com:8080']],
    ['*.example.com', ['https://*.example.com', 'http://*.example.com']],
    ['*://app.example.com', ['https://app.example.com', 'http://app.example.com']],
    ['*.example.com:443', ['http://*.example.com:443']],
    ['*.example.com:80', ['https://*.example.com:80']],
    ['*//app.example.com', []],
  ])('%s becomes %j', (pattern, entries) => {
    if (pattern === 'null') return void expect(originEntries(pattern)).toEqual({ problem: expect.stringMatching(/the "null" origin is shared by sandboxed iframes/) });
    // S3's "*" also stands for a scheme's slashes: refused, and never answered with "write *".
    if (pattern === '*//app.example.com') return void expect(originEntries(pattern)).toEqual({ problem: expect.stringMatching(/^S3 lets "\*" stand for any characters here/) });
    expect(originEntries(pattern)).toMatchObject({ entries });
  });

  it.each([
    ['https://*example.com', /also matches "https:\/\/evilexample\.com"/],
    ['*example.com', /also matches "https:\/\/evilexample\.com"/],
    ['https://app-*.example.com', /also matches "https:\/\/app-evil\.example\.com"; a policy wildcard stands for whole leftmost DNS labels/],
    ['https://app.example.com:*', /matches every origin that starts with "https:\/\/app\.example\.com:"/],
    ['https://app.*:443', /also matches "https:\/\/app\.evil:443"/],
    ['http*://app.example.com', /also matches "httpevil:\/\/app\.example\.com"/],
    ['https://*', /matches every origin that starts with "https:\/\/"/],
    ['https://*.*.example.com', /one "\*"/],
    ['www.example.com', /an Origin always starts with its scheme, so S3 never matched this; write "https:\/\/www\.example\.com"/],
    ['https://www.example.com/', /a trailing slash: an Origin never has one, so S3 never matched this; write "https:\/\/www\.example\.com"/],
    ['https://*.example.com/', /a trailing slash: .* write "https:\/\/\*\.example\.com"/],
    ['https://app.example.com:443/', /a trailing slash: an Origin never has one, so S3 never matched this; write "https:\/\/app\.example\.com"$/],
    ['*.bücher.example', /non-ASCII host: browsers send the punycode form/],
    ['https://*.exam_ple.com', /is not a DNS domain a wildcard can stand over|DNS labels/],
    ['https://App.example.com', /browsers send it as "https:\/\/app\.example\.com", and S3 compares the text, so it never matched this/],
    ['https://app.example.com:443', /browsers send it as "https:\/\/app\.example\.com"/],
    ['http://2130706433:8080', /browsers send it as "http:\/\/127\.0\.0\.1:8080"/],
    ['https://*.co.uk', /public suffix "co\.uk"/],
    ['*.com', /public suffix "com"/],
  ])('refuses %s, saying why', (pattern, reason) => {
    expect(originEntries(pattern)).toEqual({ problem: expect.stringMatching(reason) });
  });

  it('notes that a pattern without a scheme keeps only the schemes of web pages', () => {
    expect(originEntries('*.example.com')).toMatchObject({ note: expect.stringMatching(/S3 matched it under any scheme; imported for https and http/) });
  });

  it('refuses a configuration with a wildcard S3 reads differently and an empty entry, naming each, and writes nothing', () => {
    const text = JSON.stringify({
      CORSRules: [
        { AllowedMethods: ['GET'], AllowedOrigins: ['https://ok.example.com', ''] },
        { AllowedMethods: ['PUT'], AllowedOrigins: ['https://*example.com'], AllowedHeaders: ['*-token'] },
      ],
    });
    expect(() => imported(text)).toThrow(
      'nothing written; 3 values cannot be imported (fix them in a copy of the configuration and import that with --from FILE):\n' +
        '  - CORSRules[0].AllowedOrigins[1] is empty: remove it, or write the value it stands for\n' +
        '  - CORSRules[1].AllowedOrigins[0] "https://*example.com": S3 lets "*" stand for any characters here, so it also matches "https://evilexample.com"; a policy wildcard stands for whole leftmost DNS labels ("https://*.example.com"): list the origins meant\n' +
        '  - CORSRules[1].AllowedHeaders[0] "*-token": S3 lets "*" stand anywhere in a header name; a policy takes a prefix ("x-amz-*") or "*" alone: list the header names',
    );
  });

  it('writes a "*" rule for "*" beside other origins, without credentials, and says so', () => {
    const { policy, notes } = imported(JSON.stringify({ CORSRules: [{ AllowedMethods: ['GET'], AllowedOrigins: ['https://a.example.com', '*'], ExposeHeaders: ['ETag'] }] }));
    expect(policy).toEqual({ rules: [{ allowOrigins: ['*'], allowMethods: ['GET'], exposeHeaders: ['ETag'] }] });
    expect(notes).toEqual([
      expect.stringMatching(/imported as a "\*" rule, which answers \* and never with credentials.*; its other origins are covered by "\*"$/),
      expect.stringMatching(/a policy of one rule answers every method from its origins.*where S3 answered only GET: HEAD, POST/),
    ]);
  });

  it('names values in the spelling of the file, and refuses what S3 itself would refuse', () => {
    const xml = '<CORSConfiguration><CORSRule><AllowedOrigin>https://*example.com</AllowedOrigin><AllowedMethod>PATCH</AllowedMethod><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>';
    expect(() => imported(xml)).toThrow(/CORSRule\[0\]\.AllowedMethod\[0\] "PATCH": S3 takes GET, PUT, HEAD, POST, DELETE only[\s\S]*CORSRule\[0\]\.AllowedOrigin\[0\] "https:\/\/\*example\.com"/);
    expect(() => imported('[{ "AllowedOrigins": ["https://a.example.com"], "AllowedMethods": ["get"] }]')).toThrow(/rule\[0\]\.AllowedMethods\[0\] "get": S3 takes/);
  });

  it('refuses XML that declares entities or uses character references, whose values S3 does not store', () => {
    expect(() => imported('<!DOCTYPE x [<!ENTITY o "https://evil.example">]><CORSConfiguration><CORSRule><AllowedOrigin>&o;</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>')).toThrow(/holds a <!DOCTYPE>, which the import does not read/);
    expect(() => imported('<CORSConfiguration><CORSRule><AllowedOrigin>https://&#42;.example.com</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>')).toThrow(/holds the reference &#42;: write the character it stands for/);
  });

  it('says that a policy of one rule answers methods S3 answered only by a rule that lists them', () => {
    const { notes } = imported('[{ "AllowedOrigins": ["https://a.example.com"], "AllowedMethods": ["PUT"] }]');
    expect(notes).toEqual(expect.arrayContaining([expect.stringMatching(/^rule\[0\]: a policy of one rule answers every method from its origins.* where S3 answered only PUT: GET, HEAD, POST from its origins now get CORS headers too$/)]));
    expect(imported(readFileSync(join(FIXTURES, 'console.json'), 'utf8')).notes.join('\n')).not.toMatch(/a policy of one rule/);
  });

  it('imports a rule that exposes "*" without credentials, since browsers expose nothing with them', () => {
    const { policy, notes } = imported('[{ "AllowedOrigins": ["https://a.example.com"], "AllowedMethods": ["GET"], "ExposeHeaders": ["*"] }]');
    expect(policy.rules[0]).toEqual({ allowOrigins: ['https://a.example.com'], allowMethods: ['GET'], exposeHeaders: ['*'] });
    expect(notes).toEqual([
      expect.stringMatching(/ExposeHeaders "\*": exposes nothing on credentialed responses, so the rule is imported without credentials: requests from its origins that send cookies/),
      expect.stringMatching(/a policy of one rule answers every method/),
    ]);
  });

  it('leaves out an ID that is not a name, and ignores no key an object inherits', () => {
    const { notes } = imported('{ "CORSRules": [{ "ID": { "toString": 1 }, "AllowedOrigins": ["https://a.example.com"], "AllowedMethods": ["GET"] }] }');
    expect(notes).toEqual(expect.arrayContaining([expect.stringMatching(/CORSRules\[0\]\.ID is not a name; the rule is imported without an id/)]));
    const yaml = "Resources:\n  Site:\n    Type: AWS::S3::Bucket\n    Properties:\n      CorsConfiguration:\n        CorsRules:\n          - AllowedMethods: [GET]\n            AllowedOrigins: ['https://a.example.com']\n            toString: x\n";
    expect(() => imported(yaml)).toThrow(/has "toString", which AWS::S3::Bucket CorsRule does not/);
  });

  it('reads a MaxAgeSeconds of more than a day as a day, and leaves out an ID a rule id cannot be, saying both', () => {
    const { policy, notes } = imported('<CORSConfiguration><CORSRule><ID>my rule #1</ID><AllowedOrigin>https://a.example.com</AllowedOrigin><AllowedMethod>GET</AllowedMethod><MaxAgeSeconds>604800</MaxAgeSeconds></CORSRule></CORSConfiguration>');
    expect(policy.rules[0]).toEqual({ allowOrigins: ['https://a.example.com'], allowMethods: ['GET'], allowCredentials: true, maxAge: 86400 });
    expect(notes).toEqual(expect.arrayContaining([expect.stringMatching(/ID "my rule #1" is no policy rule id/), expect.stringMatching(/MaxAgeSeconds 604800: imported as 86400/)]));
  });
});

describe('import from a CloudFormation template', () => {
  const template = (origins: string) => `Resources:
  Site:
    Type: AWS::S3::Bucket
    Properties:
      CorsConfiguration:
        CorsRules:
          - AllowedMethods: [GET]
            AllowedOrigins: ${origins}
  Other:
    Type: AWS::S3::Bucket
    Properties:
      CorsConfiguration:
        CorsRules:
          - AllowedMethods: [PUT]
            AllowedOrigins: ['https://b.example.com']
`;

  it('asks which bucket when several have rules, and imports the one named', () => {
    expect(() => imported(template("['https://a.example.com']"))).toThrow(/has 2 buckets with a CorsConfiguration \(Site, Other\): name one with --resource LOGICAL_ID/);
    expect(imported(template("['https://a.example.com']"), 'Other').policy.rules[0]!.allowOrigins).toEqual(['https://b.example.com']);
    expect(() => imported(template("['https://a.example.com']"), 'Nope')).toThrow(/has no AWS::S3::Bucket "Nope" with a CorsConfiguration; the buckets with one: Site, Other/);
  });

  it('refuses an origin known only when the stack deploys, a short-form tag as much as the long form', () => {
    expect(() => imported(template("[!Sub 'https://${Domain}']"), 'Site')).toThrow(
      /CorsRules\[0\]\.AllowedOrigins\[0\] is Fn::Sub \(a CloudFormation expression, known only when the stack deploys\): write the value it stands for, or import the deployed bucket with --bucket NAME/,
    );
    expect(() => imported(template('[{ "Fn::ImportValue": "SiteOrigin" }]'), 'Site')).toThrow(/AllowedOrigins\[0\] is Fn::ImportValue/);
    expect(() => imported(template("!Split [',', !Ref Origins]"), 'Site')).toThrow(/CorsRules\[0\]\.AllowedOrigins is Fn::Split .*: write the values it stands for/);
    expect(() => imported("Resources:\n  Site:\n    Type: AWS::S3::Bucket\n    Properties:\n      CorsConfiguration:\n        CorsRules: !If [Prod, [], []]\n")).toThrow(/Site's CorsConfiguration is Fn::If/);
  });

  it.each([
    ['', /is empty/],
    ['{ "Resources": {} }', /without an AWS::S3::Bucket that has a CorsConfiguration/],
    ['{ "rules": [] }', /JSON without "CORSRules" or "Resources"/],
    ['<CORSConfiguration/>', /holds no <CORSRule>/],
    ['<Policy><Statement/></Policy>', /without a <CORSConfiguration> root/],
    ['[{ "AllowedOrigin": ["https://a.example.com"], "AllowedMethods": ["GET"] }]', /has "AllowedOrigin", which S3 CORS rules do not/],
    ['key: [unclosed', /neither JSON, XML nor YAML/],
  ])('says what is wrong with %j', (text, message) => {
    expect(() => imported(text)).toThrow(message);
  });
});

describe('npx cloudfront-cors import, in a project', () => {
  it('writes ./cors.config.json that validates, refuses to write over it, and replaces it with --force', async () => {
    writeFileSync(join(project, 's3.xml'), readFileSync(join(FIXTURES, 'namespaced.xml')));
    rmSync(join(project, 'cors.config.json'), { force: true });
    const first = await importCli('--from', 's3.xml');
    expect(first).toMatchObject({ code: 0, stdout: 'wrote cors.config.json: 3 rules from XML; check it with npx cloudfront-cors validate\n' });
    expect(first.stderr).toMatch(/^note: CORSRule\[2\] AllowedOrigin "\*"/);
    const written = JSON.parse(readFileSync(join(project, 'cors.config.json'), 'utf8'));
    expect(written).toEqual({ $schema: expect.stringMatching(/cors\.config\.schema\.json$/), ...IMPORTED });
    expect(existsSync(join(project, written.$schema))).toBe(true);
    expect(() => validatePolicy(written)).not.toThrow();
    const again = await importCli('--from', 's3.xml');
    expect(again).toMatchObject({ code: 1, stderr: 'cloudfront-cors import: cors.config.json already exists; pass --force to replace it, or --stdout to print the policy\n' });
    expect((await importCli('--from', 's3.xml', '--force')).code).toBe(0);
  });

  it('prints the policy with --stdout and writes nothing', async () => {
    rmSync(join(project, 'cors.config.json'), { force: true });
    const printed = await importCli('--from', join(FIXTURES, 'template.yaml'), '--stdout');
    expect(printed.code).toBe(0);
    expect(JSON.parse(printed.stdout)).toEqual(IMPORTED);
    expect(existsSync(join(project, 'cors.config.json'))).toBe(false);
  });

  it.each([
    [[], 2, /name the rules to import with --from FILE or --bucket NAME/],
    [['--from', 'a.json', '--bucket', 'b'], 2, /one of the two/],
    [['--from', 'missing.json'], 1, /cannot read missing\.json \(ENOENT\)/],
    [['--from', 'bad.json'], 1, /nothing written; one value cannot be imported \(fix it in a copy/],
    [['--from', '.'], 1, /\. is a folder; name the file that holds the configuration/],
    [['--from', 'bad.json', '--resource', 'Site'], 2, /--resource names a bucket in a CloudFormation template, and bad\.json is get-bucket-cors JSON/],
  ])('answers %j with exit %i, one message and no stack trace', async (args, code, message) => {
    writeFileSync(join(project, 'bad.json'), JSON.stringify({ CORSRules: [{ AllowedMethods: ['GET'], AllowedOrigins: ['https://*example.com'] }] }));
    const result = await importCli(...args);
    expect(result.code).toBe(code);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('import --bucket, through the AWS SDK', () => {
  const s3 = mockClient(S3Client);
  const run = async (...args: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(['import', ...args], { out: (line) => out.push(line), err: (line) => err.push(line) });
    return { code, out: out.join('\n'), err: err.join('\n') };
  };

  it("reads the bucket's rules with GetBucketCors and prints the policy", async () => {
    s3.reset();
    const rules = JSON.parse(readFileSync(join(FIXTURES, 'get-bucket-cors.json'), 'utf8')).CORSRules;
    s3.on(GetBucketCorsCommand, { Bucket: 'assets' }).resolves({ CORSRules: rules });
    const result = await run('--bucket', 'assets', '--stdout');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.out)).toEqual(IMPORTED);
    expect(s3.commandCalls(GetBucketCorsCommand)).toHaveLength(1);
  });

  it.each([
    ['NoSuchCORSConfiguration', 'bucket assets has no CORS rules (NoSuchCORSConfiguration): nothing to import; start from npx cloudfront-cors init'],
    ['NoSuchBucket', 'no bucket assets (NoSuchBucket): check the name'],
  ])('says so, in one line, for %s', async (name, message) => {
    s3.reset();
    s3.on(GetBucketCorsCommand).rejects(new S3ServiceException({ name, $fault: 'client', $metadata: {}, message: name }));
    const result = await run('--bucket', 'assets', '--stdout');
    expect(result).toEqual({ code: 1, out: '', err: `cloudfront-cors import: ${message}` });
  });
});

describe('an imported policy with rules, on the built handlers', () => {
  it('answers as S3 would pick the rule, in Lambda@Edge and the function in V8 and njs, and the origin response after it', async () => {
    const { policy } = imported(readFileSync(join(FIXTURES, 'template.yaml'), 'utf8'));
    const artifacts = await builtArtifacts(policy);
    const rules = policy.rules as Rule[];
    const origins: Array<[string, string | null]> = [
      ['https://www.example1.com', 'https://www.example1.com'],
      ['https://pr-7.preview.example2.com', 'https://pr-7.preview.example2.com'],
      ['https://reader.example.org', 'https://reader.example.org'],
      ['https://www.example1.com.evil.net', 'https://www.example1.com.evil.net'],
      ['null', null],
    ];
    const requests = origins.flatMap(([origin, canonical]) =>
      [
        { method: 'GET', origin },
        { method: 'PUT', origin },
        { method: 'OPTIONS', origin, requestMethod: 'PUT', requestHeaders: 'content-type, x-amz-acl' },
        { method: 'OPTIONS', origin, requestMethod: 'GET' },
        { method: 'OPTIONS', origin, requestMethod: 'PATCH' },
      ].map((request): [RequestOptions, string | null] => [request, canonical]),
    );
    const inNjs = artifacts.viewerRequestFunctionInNjs(requests.map(([request]) => functionRequestEvent(request)));
    for (const [i, [request, canonical]] of requests.entries()) {
      const expected = asViewerAnswer(oracleViewer(rules, canonical, request), request);
      const label = JSON.stringify(request);
      const lambda = await artifacts.viewerRequestLambda(viewerRequestEvent(request));
      expect(lambdaAnswer(lambda), label).toEqual(expected);
      expect(functionAnswer(artifacts.viewerRequestFunction(functionRequestEvent(request))), label).toEqual(expected);
      expect(functionAnswer(inNjs[i]!), label).toEqual(expected);
      if (request.requestMethod !== undefined) continue;
      const forwarded = header(lambda, 'origin') as string;
      const response = await artifacts.originResponse(originResponseEvent({ request: { method: request.method, origin: forwarded }, headers: { 'Access-Control-Allow-Origin': forwarded, 'Access-Control-Allow-Credentials': 'true' } }));
      const expectedHeaders = oracleOriginResponse(rules, forwarded, request.method as string);
      for (const name of ['access-control-allow-origin', 'access-control-allow-credentials', 'access-control-expose-headers']) expect(header(response, name), `${label} ${name}`).toBe(expectedHeaders[name]);
    }
  });
});
