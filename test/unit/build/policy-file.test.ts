import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PolicyError, policyMethods, readPolicyFile, validatePolicy } from '../../../build/policy-file.ts';
import { DEFAULT_POLICY, compilePolicy, policyRules, type CorsPolicy } from '../../../functions/core/policy.ts';

/** A validated policy's first rule: all a policy without "rules" has. */
const firstRule = (policy: CorsPolicy) => policyRules(policy)[0]!;

/** The problems a policy is refused for (fails the test when it is accepted). */
function problems(file: unknown): string[] {
  try {
    validatePolicy(file, 'cors.config.json');
  } catch (error) {
    expect(error).toBeInstanceOf(PolicyError);
    return (error as PolicyError).problems;
  }
  throw new Error(`accepted: ${JSON.stringify(file)}`);
}

const origins = (...allowOrigins: unknown[]) => ({ allowOrigins });

describe('validatePolicy accepts', () => {
  it('a minimal policy and applies every default', () => {
    expect(validatePolicy(origins('https://app.example.com'))).toEqual({ ...DEFAULT_POLICY, allowOrigins: ['https://app.example.com'] });
  });

  it('folds case and drops an explicit default port', () => {
    expect(firstRule(validatePolicy(origins('HTTPS://App.Example.COM:443', 'http://LOCALHOST:80', 'https://*.Example.ORG:443'))).allowOrigins).toEqual([
      'https://app.example.com',
      'http://localhost',
      'https://*.example.org',
    ]);
  });

  it('drops entries that are the same once canonical', () => {
    expect(firstRule(validatePolicy(origins('https://a.example.com', 'https://A.example.com:443'))).allowOrigins).toEqual(['https://a.example.com']);
  });

  it('non-web schemes, IP literals and wildcards with ports', () => {
    const accepted = ['capacitor://localhost', 'http://127.0.0.1:8080', 'http://[::1]:3000', 'https://*.dev.example.com:8443'];
    expect(firstRule(validatePolicy(origins(...accepted))).allowOrigins).toEqual(accepted);
  });

  it('"*" alone as public mode', () => {
    expect(firstRule(validatePolicy(origins('*'))).allowOrigins).toEqual(['*']);
  });

  it('upper-cases the methods browsers upper-case, and keeps the case of the others', () => {
    expect(firstRule(validatePolicy({ ...origins('https://a.example.com'), allowMethods: ['get', 'put', 'PATCH', 'patch'] })).allowMethods).toEqual([
      'GET',
      'PUT',
      'PATCH',
      'patch',
    ]);
  });

  it('header names without case, prefixes, and "*"', () => {
    expect(firstRule(validatePolicy({ ...origins('https://a.example.com'), allowHeaders: ['Content-Type', 'X-Amz-*', '*'] })).allowHeaders).toEqual([
      'content-type',
      'x-amz-*',
      '*',
    ]);
  });

  it('a file that starts with a byte order mark, as some editors save it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cloudfront-cors-bom-'));
    writeFileSync(join(dir, 'cors.config.json'), `\uFEFF${JSON.stringify(origins('https://a.example.com'))}`);
    expect(firstRule(readPolicyFile(join(dir, 'cors.config.json'))).allowOrigins).toEqual(['https://a.example.com']);
  });

  it('a $schema key, so editors can complete the file', () => {
    expect(() => validatePolicy({ $schema: './cors.config.schema.json', ...origins('https://a.example.com') })).not.toThrow();
  });
});

describe('validatePolicy with legacy query parameters', () => {
  it('keeps each name once, and leaves the key out when there is none', () => {
    expect(validatePolicy({ ...origins('https://a.example.com'), legacyQueryParameters: ['origin', 'site', 'origin'] }).legacyQueryParameters).toEqual(['origin', 'site']);
    expect(validatePolicy({ ...origins('https://a.example.com'), legacyQueryParameters: [] })).not.toHaveProperty('legacyQueryParameters');
  });
});

describe('validatePolicy with a KeyValueStore', () => {
  it('keeps "originStore" and lets the store hold every origin', () => {
    expect(validatePolicy({ allowOrigins: [], originStore: 'keyvaluestore' })).toEqual({ ...DEFAULT_POLICY, allowOrigins: [], originStore: 'keyvaluestore' });
    expect(validatePolicy({ allowOrigins: ['https://App.example.com'] })).not.toHaveProperty('originStore');
  });
});

describe('validatePolicy writes IP entries the way browsers send them, and says so', () => {
  it.each([
    ['http://127.1', 'http://127.0.0.1', 'IPv4 in dotted decimal'],
    ['http://0x7f.0.0.1:3000', 'http://127.0.0.1:3000', 'IPv4 in dotted decimal'],
    ['http://0177.0.0.1', 'http://127.0.0.1', 'IPv4 in dotted decimal'],
    ['http://2130706433', 'http://127.0.0.1', 'IPv4 in dotted decimal'],
    ['https://10.1', 'https://10.0.0.1', 'IPv4 in dotted decimal'],
    ['http://[0:0:0:0:0:0:0:1]:3000', 'http://[::1]:3000', 'RFC 5952'],
    ['http://[::0001]', 'http://[::1]', 'RFC 5952'],
    ['http://[2001:DB8:0:0:1:0:0:1]', 'http://[2001:db8::1:0:0:1]', 'RFC 5952'],
    ['http://[::ffff:192.0.2.1]', 'http://[::ffff:c000:201]', 'RFC 5952'],
  ])('%j is built as %j', (entry, browserForm, form) => {
    const notes: string[] = [];
    expect(firstRule(validatePolicy(origins(entry), 'cors.config.json', notes)).allowOrigins).toEqual([browserForm]);
    expect(notes).toEqual([expect.stringMatching(/; built as that$/)]);
    expect(notes[0]).toContain(`allowOrigins[0] ${JSON.stringify(entry)} is sent by browsers as "${browserForm}" (`);
    expect(notes[0]).toContain(form);
  });

  it('notes nothing for entries already in that form, or that only differ in case', () => {
    const notes: string[] = [];
    validatePolicy(origins('http://127.0.0.1:8080', 'http://[::1]', 'HTTP://[2001:DB8::1]', 'capacitor://127.0.0.1', 'https://App.Example.com'), 'p', notes);
    expect(notes).toEqual([]);
  });
});

describe('validatePolicy refuses, naming the entry and what to write instead', () => {
  it.each([
    ['null', /"null" origin .* remove it/],
    ['NULL', /"null" origin/],
    ['https://app.example.com/', /trailing slash .* write "https:\/\/app\.example\.com"/],
    ['https://app.example.com/path', /a path .* write "https:\/\/app\.example\.com"/],
    ['https://app.example.com?x=1', /a query .* write "https:\/\/app\.example\.com"/],
    ['https://app.example.com#top', /a fragment .* write "https:\/\/app\.example\.com"/],
    ['https://user:pw@app.example.com', /userinfo .* write "https:\/\/app\.example\.com"/],
    ['app.example.com', /scheme:\/\/host\[:port\]; write e\.g\. "https:\/\/app\.example\.com"/],
    ['https://app.*.example.com', /whole leftmost label/],
    ['https://*app.example.com', /whole leftmost label/],
    ['https://*.*.example.com', /whole leftmost label/],
    ['*://app.example.com', /not a URL scheme/],
    ['https://*.com', /public suffix "com"/],
    ['https://*.co.uk', /public suffix "co\.uk".* e\.g\. "https:\/\/\*\.yourcompany\.co\.uk"/],
    ['https://*.github.io', /public suffix "github\.io"/],
    ['https://*.localhost', /public suffix "localhost"/],
    ['https://*.10.0.0', /not a DNS domain/],
    ['https://bücher.example', /non-ASCII host.* "https:\/\/xn--bcher-kva\.example"/],
    ['https://*.bücher.example', /non-ASCII host/],
    ['https://app.example.com:0', /not a port number/],
    ['https://app.example.com:99999', /above 65535/],
    ['https://app.example.com:08', /not a port number/],
    ['https://app.example.com.', /trailing dot.* write "https:\/\/app\.example\.com"/],
    ['https://app..example.com', /DNS labels/],
    ['https://-app.example.com', /DNS labels/],
    ['http://[:.]', /DNS labels .* or an \[IPv6\] literal/],
    ['http://[fffff:1]:8080', /DNS labels .* or an \[IPv6\] literal/],
    [' https://app.example.com', /whitespace/],
    ['https://*.amazonaws.com', /"s3\.amazonaws\.com" is a public suffix beneath it.*"https:\/\/attacker\.s3\.amazonaws\.com" would be allowed/],
    ['https://*.on.aws', /public suffix beneath it/],
    ['https://*.compute.amazonaws.com', /public suffix/],
    ['https://*.example.123', /ends in a number.*IPv4/],
    ['http://foo.123', /ends in a number.*IPv4 address, and it is not one/],
    ['http://256.1.1.1:8080', /ends in a number/],
    ['http://0x100000000', /ends in a number/],
    ['capacitor://127.1', /ends in a number.*"capacitor:\/\/127\.0\.0\.1"/],
  ])('%j', (entry, message) => {
    const [problem] = problems(origins(entry));
    expect(problem).toContain(`allowOrigins[0] ${JSON.stringify(entry)}`);
    expect(problem).toMatch(message);
  });

  it('an origin longer than any Origin the functions read, with a message rather than an exception', () => {
    expect(problems(origins(`${'x'.repeat(400)}://a.example.com`))).toEqual([expect.stringMatching(/^allowOrigins\[0\] .*: 416 characters: the functions read an Origin of at most 320/)]);
  });

  it('an origin that is not a string', () => {
    expect(problems(origins(42))).toEqual([expect.stringMatching(/allowOrigins\[0\] 42: an origin must be a string/)]);
  });

  it('a missing, empty or non-array allowOrigins', () => {
    expect(problems({})).toEqual([expect.stringMatching(/allowOrigins is required/)]);
    expect(problems(origins())).toEqual([expect.stringMatching(/allowOrigins is empty: list at least one origin/)]);
    expect(problems({ allowOrigins: 'https://a.example.com' })).toEqual([expect.stringMatching(/must be an array/)]);
  });

  it('"*" with credentials', () => {
    expect(problems({ ...origins('*'), allowCredentials: true })).toEqual([
      expect.stringMatching(/\["\*"\] with allowCredentials: true.*list the origins, or set allowCredentials to false/),
    ]);
  });

  it('"*" beside other origins', () => {
    expect(problems(origins('*', 'https://a.example.com'))).toEqual([expect.stringMatching(/use \["\*"\] alone/)]);
  });

  it('an unknown key, suggesting the one meant', () => {
    expect(problems({ ...origins('https://a.example.com'), allowOrigin: [] })).toEqual([
      expect.stringMatching(/unknown key "allowOrigin": did you mean "allowOrigins"\?/),
    ]);
    expect(problems({ ...origins('https://a.example.com'), exposedHeaders: [] })).toEqual([
      expect.stringMatching(/unknown key "exposedHeaders": did you mean "exposeHeaders"\?/),
    ]);
    expect(problems({ ...origins('https://a.example.com'), cache: true })).toEqual([expect.stringMatching(/unknown key "cache" \(known keys:/)]);
  });

  it.each([-1, 86401, 1.5, '600', null])('maxAge %j', (maxAge) => {
    expect(problems({ ...origins('https://a.example.com'), maxAge })).toEqual([expect.stringMatching(/maxAge .*from 0 to 86400/)]);
  });

  it.each(['GET POST', 'GET,POST', '', '*', 'PÜT', 'DELETE\n'])('method %j', (method) => {
    expect(problems({ ...origins('https://a.example.com'), allowMethods: [method] })).toEqual([
      expect.stringMatching(/^allowMethods\[0\] .*not an HTTP method/),
    ]);
  });

  it.each(['content type', 'x-*-id', '', 'x-a**'])('allowHeaders entry %j', (name) => {
    expect(problems({ ...origins('https://a.example.com'), allowHeaders: [name] })).toEqual([
      expect.stringMatching(/^allowHeaders\[0\] .*not a header name/),
    ]);
  });

  it('__proto__ as a method or header name, which the inlined lookup tables cannot hold', () => {
    expect(problems({ ...origins('https://a.example.com'), allowMethods: ['__proto__'], allowHeaders: ['__PROTO__'] })).toEqual([
      expect.stringMatching(/^allowMethods\[0\] "__proto__": cannot be a key/),
      expect.stringMatching(/^allowHeaders\[0\] "__PROTO__": cannot be a key/),
    ]);
  });

  it('exposeHeaders "*" with credentials, which browsers read as a header named "*"', () => {
    expect(problems({ ...origins('https://a.example.com'), allowCredentials: true, exposeHeaders: ['*'] })).toEqual([
      expect.stringMatching(/exposeHeaders: "\*" exposes nothing on credentialed requests/),
    ]);
  });

  it('values of the wrong type', () => {
    expect(problems({ ...origins('https://a.example.com'), allowCredentials: 'yes' })).toEqual([
      expect.stringMatching(/allowCredentials must be true or false/),
    ]);
    expect(problems({ ...origins('https://a.example.com'), preflight: 'cdn' })).toEqual([
      expect.stringMatching(/preflight "cdn": must be "edge" .* or "origin"/),
    ]);
    expect(problems({ ...origins('https://a.example.com'), exposeHeaders: 'ETag' })).toEqual([
      expect.stringMatching(/exposeHeaders must be an array of strings/),
    ]);
    expect(problems(['https://a.example.com'])).toEqual([expect.stringMatching(/must be one JSON object/)]);
  });

  it('legacyQueryParameters that are not parameter names', () => {
    expect(problems({ ...origins('https://a.example.com'), legacyQueryParameters: 'origin' })).toEqual([expect.stringMatching(/^legacyQueryParameters must be an array of query parameter names/)]);
    expect(problems({ ...origins('https://a.example.com'), legacyQueryParameters: ['', 'origin=5', '__proto__', 'a b'] })).toEqual([
      expect.stringMatching(/^legacyQueryParameters\[0\] "": empty/),
      expect.stringMatching(/^legacyQueryParameters\[1\] "origin=5": write the name as it reads decoded, without "&", "="/),
      expect.stringMatching(/^legacyQueryParameters\[2\] "__proto__": cannot be a key/),
      expect.stringMatching(/^legacyQueryParameters\[3\] "a b": /),
    ]);
  });

  it('a mode other than "enforce" or "report-only"', () => {
    expect(problems({ ...origins('https://a.example.com'), mode: 'audit' })).toEqual([expect.stringMatching(/^mode "audit": must be "enforce" .* or "report-only"/)]);
  });

  it('an originStore other than "keyvaluestore", and a store beside "*"', () => {
    expect(problems({ ...origins('https://a.example.com'), originStore: 'dynamodb' })).toEqual([
      expect.stringMatching(/^originStore "dynamodb": the one store is "keyvaluestore"/),
    ]);
    expect(problems({ ...origins('*'), originStore: 'keyvaluestore' })).toEqual([
      expect.stringMatching(/\["\*"\] with originStore: "\*" already allows every origin/),
    ]);
  });

  it('every problem at once, not only the first', () => {
    expect(problems({ allowOrigins: ['null', 'https://*.com'], maxAge: -1, typo: 1 })).toHaveLength(4);
  });
});

describe('validatePolicy with rules (SPEC §11)', () => {
  const writers = { id: 'writers', allowOrigins: ['HTTPS://App.example.com:443'], allowMethods: ['put', 'POST'], allowHeaders: ['Content-Type'], allowCredentials: true };
  const readers = { allowOrigins: ['*'], allowMethods: ['GET'] };

  it('keeps the rules in order, each with its defaults, canonical entries and id, and nothing of a rule at the top level', () => {
    expect(validatePolicy({ rules: [writers, readers], mode: 'report-only' })).toEqual({
      rules: [
        { id: 'writers', allowOrigins: ['https://app.example.com'], allowMethods: ['PUT', 'POST'], allowHeaders: ['content-type'], exposeHeaders: [], allowCredentials: true, maxAge: undefined },
        { allowOrigins: ['*'], allowMethods: ['GET'], allowHeaders: [], exposeHeaders: [], allowCredentials: false, maxAge: undefined },
      ],
      preflight: 'edge',
      mode: 'report-only',
    });
  });

  it('reads its own answer again unchanged, so a validated policy can be built', () => {
    const once = validatePolicy({ rules: [writers, readers] });
    expect(validatePolicy(once)).toEqual(once);
  });

  it('gives a policy of one rule in "rules" the tables of the same rule at the top level', () => {
    const { id: _id, ...rule } = writers;
    expect(compilePolicy(validatePolicy({ rules: [rule] }))).toEqual(compilePolicy(validatePolicy(rule)));
  });

  it.each([
    [{ rules: [{ allowOrigins: ['https://*.co.uk'] }, { allowOrigins: ['https://a.example.com/'] }] }, [/^rules\[0\]\.allowOrigins\[0\] "https:\/\/\*\.co\.uk": .*public suffix/, /^rules\[1\]\.allowOrigins\[0\] "https:\/\/a\.example\.com\/": a trailing slash/]],
    [{ rules: [readers, { allowOrigins: ['*'], allowCredentials: true }] }, [/^rules\[1\]\.allowOrigins \["\*"\] with allowCredentials: true/]],
    [{ rules: [{ allowOrigins: ['https://a.example.com'], allowMethods: ['GET POST'], maxAge: 90000, allowHeaders: ['x y'] }] }, [/^rules\[0\]\.allowMethods\[0\] "GET POST": not an HTTP method/, /^rules\[0\]\.allowHeaders\[0\] "x y"/, /^rules\[0\]\.maxAge 90000/]],
    [{ rules: [{ allowOrigins: [] }] }, [/^rules\[0\]\.allowOrigins is empty/]],
    [{ rules: [{ allowOrigins: ['https://a.example.com'], alowMethods: ['PUT'] }] }, [/^unknown key "rules\[0\]\.alowMethods": did you mean "allowMethods"\?/]],
    [{ rules: [{ id: 'w', allowOrigins: ['https://a.example.com'] }, { id: 'w', allowOrigins: ['https://b.example.com'] }] }, [/^rules\[1\]\.id "w": rules\[0\] has it already/]],
    [{ rules: [{ id: 'two words', allowOrigins: ['https://a.example.com'] }] }, [/^rules\[0\]\.id "two words": a rule id is/]],
    [{ rules: [{ id: 'allowed', allowOrigins: ['https://a.example.com'] }] }, [/^rules\[0\]\.id "allowed": a stored origin added without --rule holds "allowed"/]],
    [{ rules: [] }, [/^rules must be a non-empty array/]],
    [{ rules: { allowOrigins: ['https://a.example.com'] } }, [/^rules must be a non-empty array/]],
    [{ rules: ['https://a.example.com'] }, [/^rules\[0\] must be an object/]],
    [{ allowOrigins: ['https://a.example.com'], rules: [readers] }, [/^allowOrigins beside "rules": .* move it into rules\[…\]/]],
    [{ rules: [readers], originStore: 'keyvaluestore' }, [/^rules\[0\]\.allowOrigins \["\*"\] with originStore: a stored origin that names no rule joins the first rule/]],
    [{ rules: [{ allowOrigins: ['https://a.example.com'], mode: 'report-only' }] }, [/^rules\[0\]\.mode: "mode" holds for every rule, so it goes at the top level of the policy, beside "rules"$/]],
    [{ id: 'writers', allowOrigins: ['https://a.example.com'] }, [/^id: a rule's id goes inside that rule, in "rules"/]],
  ])('%j, naming the rule', (policy, expected) => {
    expect(problems(policy)).toEqual(expected.map((pattern) => expect.stringMatching(pattern)));
  });

  it('lets a rule inline no origin with a store, and a "*" rule follow it', () => {
    expect(() => validatePolicy({ rules: [{ id: 'customers', allowOrigins: [] }, readers], originStore: 'keyvaluestore' })).not.toThrow();
  });

  it('names the methods every rule allows together, for the cache behavior', () => {
    expect(policyMethods(validatePolicy({ rules: [writers, readers] }))).toEqual(['PUT', 'POST', 'GET']);
  });
});

describe('readPolicyFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cloudfront-cors-policy-'));

  it('names a file it cannot read', () => {
    expect(() => readPolicyFile(join(dir, 'missing.json'))).toThrow(/missing\.json: .*cannot read the file \(ENOENT\)/s);
  });

  it("names a file that is not JSON, with the parser's complaint", () => {
    const path = join(dir, 'broken.json');
    writeFileSync(path, '{ "allowOrigins": [ "https://a.example.com", ] }');
    expect(() => readPolicyFile(path)).toThrow(/broken\.json: .*not valid JSON: Unexpected token/s);
  });
});
