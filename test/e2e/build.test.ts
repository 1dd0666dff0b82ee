/**
 * SPEC §1 and §2 through the command users run: `npm run build -- [--config] [--only]`.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse } from 'acorn';
import { Ajv } from 'ajv';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../build/build.ts';
import { validatePolicy } from '../../build/policy-file.ts';
import { DEFAULT_POLICY } from '../../functions/core/policy.ts';
import { builtArtifacts, testPolicy, type Artifacts } from '../support/artifacts.ts';
import { loadEvent, scenarios } from '../support/events.ts';

const CLI = join(ROOT, 'bin', 'cloudfront-cors.js');

/** Runs `npx cloudfront-cors build`; returns its exit code and output. */
function runBuild(...args: string[]) {
  const result = spawnSync(process.execPath, [CLI, 'build', ...args], { encoding: 'utf8', cwd: ROOT });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function workspace(policy?: unknown) {
  const dir = mkdtempSync(join(tmpdir(), 'cloudfront-cors-build-'));
  const config = join(dir, 'cors.config.json');
  if (policy !== undefined) writeFileSync(config, JSON.stringify(policy));
  return { dir, config, out: join(dir, 'dist') };
}

/** Every file under a folder with its content, to show a folder did not change. */
function snapshot(folder: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const entry of readdirSync(folder, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) files[join(entry.parentPath, entry.name).slice(folder.length)] = readFileSync(join(entry.parentPath, entry.name), 'utf8');
  }
  return files;
}

/** A policy with `count` exact origins of the `https://sN.shopN.com` kind. */
const shops = (count: number) => ({ allowOrigins: Array.from({ length: count }, (_, i) => `https://s${i}.shop${i}.com`) });

describe('npm run build', () => {
  it('builds the default policy and prints each artifact against its CloudFront limit', () => {
    const { out } = workspace();
    const result = spawnSync('npm', ['run', '--silent', 'build', '--', '--out', out], { encoding: 'utf8', cwd: ROOT });
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/lambda-edge\/viewer-request \(zipped\)\s+[\d,]+ B\s+1,048,576 B\s+[\d.]+%\s+ok/);
    expect(result.stdout).toMatch(/lambda-edge\/origin-response \(zipped\)\s+[\d,]+ B\s+52,428,800 B/);
    expect(result.stdout).toMatch(/cloudfront-functions\/viewer-request\.js\s+[\d,]+ B\s+10,240 B/);
    for (const file of ['lambda-edge/viewer-request/index.mjs', 'lambda-edge/origin-response/index.mjs', 'cloudfront-functions/viewer-request.js']) {
      expect(existsSync(join(out, file)), file).toBe(true);
    }
  });

  it('inlines the policy it was given', () => {
    const { config, out } = workspace({ allowOrigins: ['https://only-this.example.org'] });
    expect(runBuild('--config', config, '--out', out).code).toBe(0);
    // Origins are tabled by scheme and port, then host: `{"https:":{"only-this.example.org":1}}`.
    const inlined = /\{\s*"https:":\s*\{\s*"only-this\.example\.org":\s*1\s*\}\s*\}/;
    const code = readFileSync(join(out, 'cloudfront-functions', 'viewer-request.js'), 'utf8');
    expect(code).toMatch(inlined);
    expect(code).not.toContain('app.example.com');
    expect(readFileSync(join(out, 'lambda-edge', 'viewer-request', 'index.mjs'), 'utf8')).toMatch(inlined);
  });

  it('refuses a bad policy, naming the entry, and leaves the previous dist/ as it was', () => {
    const { config, out } = workspace({ allowOrigins: ['https://app.example.com'] });
    expect(runBuild('--config', config, '--out', out).code).toBe(0);
    const before = snapshot(out);
    writeFileSync(config, JSON.stringify({ allowOrigins: ['https://*.co.uk', 'https://app.example.com/'], allowCredential: true }));

    const result = runBuild('--config', config, '--out', out);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('allowOrigins[0] "https://*.co.uk"');
    expect(result.stderr).toContain('allowOrigins[1] "https://app.example.com/": a trailing slash');
    expect(result.stderr).toContain('unknown key "allowCredential": did you mean "allowCredentials"?');
    expect(result.stderr).toMatch(/dist\/ was left as it was/);
    expect(snapshot(out)).toEqual(before);
  });

  it('fails naming the artifact over its limit, prints the sizes, and leaves dist/ as it was', () => {
    const { config, out } = workspace(shops(10));
    expect(runBuild('--config', config, '--out', out).code).toBe(0);
    const before = snapshot(out);
    writeFileSync(config, JSON.stringify(shops(600)));

    const result = runBuild('--config', config, '--out', out);

    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/cloudfront-functions\/viewer-request\.js\s+[\d,]+ B\s+10,240 B\s+[\d.]+%\s+OVER LIMIT/);
    expect(result.stderr).toMatch(/over CloudFront's size limit: cloudfront-functions\/viewer-request\.js \(\d+ bytes > 10240\); cover origins with wildcards, or deploy the Lambda@Edge viewer request instead/);
    expect(snapshot(out)).toEqual(before);
    expect(readdirSync(join(out, '..')).filter((name) => name.includes('staging'))).toEqual([]);
  });

  it('with --only, rebuilds one runtime and keeps the other from the previous dist/', () => {
    const { config, out } = workspace({ allowOrigins: ['https://first.example.org'] });
    expect(runBuild('--config', config, '--out', out).code).toBe(0);
    const functionBefore = readFileSync(join(out, 'cloudfront-functions', 'viewer-request.js'), 'utf8');
    writeFileSync(config, JSON.stringify({ allowOrigins: ['https://second.example.org'] }));

    const result = runBuild('--config', config, '--out', out, '--only', 'lambda-edge');

    expect(result.code).toBe(0);
    expect(result.stdout).not.toContain('cloudfront-functions');
    expect(readFileSync(join(out, 'cloudfront-functions', 'viewer-request.js'), 'utf8')).toBe(functionBefore);
    expect(readFileSync(join(out, 'lambda-edge', 'viewer-request', 'index.mjs'), 'utf8')).toContain('second.example.org');
    // The kept CloudFront Function has the old policy: say so, and write no template deploying both.
    expect(result.stderr).toContain(`warning: ${out}/cloudfront-functions was built from another policy`);
    expect(existsSync(join(out, 'template.yaml'))).toBe(false);
  });

  it('with --only and the same policy, keeps a complete, deployable output', () => {
    const { config, out } = workspace({ allowOrigins: ['https://same.example.org'] });
    expect(runBuild('--config', config, '--out', out).code).toBe(0);
    const result = runBuild('--config', config, '--out', out, '--only', 'cloudfront-functions');
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(existsSync(join(out, 'template.yaml'))).toBe(true);
  });

  it('gives the same bytes for the same policy, whatever directory it runs from', () => {
    const { config, out } = workspace({ allowOrigins: ['https://app.example.com'] });
    const other = workspace().out;
    expect(runBuild('--config', config, '--out', out).code).toBe(0);
    expect(spawnSync(process.execPath, [CLI, 'build', '--config', config, '--out', other], { cwd: tmpdir() }).status).toBe(0);
    expect(snapshot(other)).toEqual(snapshot(out));
  });

  it.each([
    [['--only', 'lambda'], /--only takes lambda-edge or cloudfront-functions, not "lambda"/],
    [['--confg', 'x.json'], /Unknown option '--confg'/],
  ])('exits 2 with usage for bad arguments %j', (args, message) => {
    const result = runBuild(...args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toContain('usage: npx cloudfront-cors build');
  });

  it('names a missing policy file', () => {
    const result = runBuild('--config', '/nonexistent/cors.json', '--out', workspace().out);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/\/nonexistent\/cors\.json: .*cannot read the file \(ENOENT\)/s);
  });
});

describe('the built artifacts', () => {
  let artifacts: Artifacts;
  beforeAll(async () => {
    artifacts = await builtArtifacts(testPolicy('example'));
  });

  it.each(['viewer-request', 'origin-response'] as const)('lambda-edge/%s exports an async handler and imports nothing', async (name) => {
    const code = readFileSync(join(artifacts.deployed[name], 'index.mjs'), 'utf8');
    const program = parse(code, { ecmaVersion: 'latest', sourceType: 'module' });
    expect(program.body.filter((node) => node.type === 'ImportDeclaration' || node.type === 'ExportAllDeclaration')).toEqual([]);
    expect(code).not.toMatch(/\brequire\(/);
    const module = await import(pathToFileURL(join(artifacts.deployed[name], 'index.mjs')).href);
    expect(module.handler.constructor.name).toBe('AsyncFunction');
  });

  it.each(['viewer-request', 'origin-response'] as const)(
    'lambda-edge/%s runs in a bare Node process from its folder alone, answering as it does here',
    async (name) => {
      // Prepare: a copy of the folder, nothing else, and the recorded events for it.
      const kind = name === 'viewer-request' ? 'lambda-edge/viewer-request' : 'lambda-edge/origin-response';
      const folder = mkdtempSync(join(tmpdir(), 'cloudfront-cors-lambda-'));
      cpSync(artifacts.deployed[name], folder, { recursive: true });
      expect(readdirSync(folder)).toEqual(['index.mjs']);
      const events = scenarios(kind).map((scenario) => loadEvent(kind, scenario));
      const driver = `
        import { readFileSync } from 'node:fs';
        const { handler } = await import('./index.mjs');
        const results = [];
        for (const event of JSON.parse(readFileSync(0, 'utf8'))) results.push(await handler(event, {}));
        process.stdout.write(JSON.stringify(results));`;
      // Act
      const result = spawnSync(process.execPath, ['--input-type=module', '-e', driver], {
        cwd: folder,
        input: JSON.stringify(events),
        encoding: 'utf8',
        env: { PATH: process.env['PATH'] ?? '' },
      });
      // Assess
      expect(result.stderr).toBe('');
      const expected = [];
      for (const event of events) {
        expected.push(name === 'viewer-request' ? await artifacts.viewerRequestLambda(event as never) : await artifacts.originResponse(event as never));
      }
      expect(JSON.parse(result.stdout)).toEqual(expected);
    },
  );

  it('the CloudFront Function is a plain script with a top-level function handler(event)', () => {
    const program = parse(artifacts.functionCode, { ecmaVersion: 2017, sourceType: 'script' });
    const last = program.body.at(-1) as { type: string; id?: { name: string }; params?: unknown[] };
    expect(last.type).toBe('FunctionDeclaration');
    expect(last.id?.name).toBe('handler');
    expect(last.params).toHaveLength(1);
    expect(artifacts.functionCode).not.toMatch(/\b(import|export)\b|\brequire\(/);
  });

  it('no bundle carries code from aws-lambda-test-utils or any other package', () => {
    const utils = readFileSync(join(ROOT, 'node_modules', 'aws-lambda-test-utils', 'mockContext.js'), 'utf8');
    const bundles = [
      readFileSync(join(artifacts.deployed['viewer-request'], 'index.mjs'), 'utf8'),
      readFileSync(join(artifacts.deployed['origin-response'], 'index.mjs'), 'utf8'),
      artifacts.functionCode,
    ];
    for (const bundle of bundles) {
      expect(bundle).not.toContain('node_modules');
      expect(bundle).not.toContain('getRemainingTimeInMillis');
      expect(bundle).not.toContain(utils.slice(utils.indexOf('succeed'), utils.indexOf('succeed') + 40));
    }
  });

  it('fits the CloudFront Function limit with room to spare for the example policy', () => {
    expect(statSync(join(artifacts.dist, 'cloudfront-functions', 'viewer-request.js')).size).toBeLessThan(10 * 1024);
  });
});

describe('the policy files and their schema', () => {
  const schema = JSON.parse(readFileSync(join(ROOT, 'cors.config.schema.json'), 'utf8'));
  const check = new Ajv({ allErrors: true, strict: false }).compile(schema);

  it.each([
    ['cors.config.json', join(ROOT, 'cors.config.json')],
    ['test/policies/example.json', join(ROOT, 'test', 'policies', 'example.json')],
  ])('%s passes the schema and the build validation', (_, path) => {
    const policy = JSON.parse(readFileSync(path, 'utf8'));
    expect(check(policy), JSON.stringify(check.errors)).toBe(true);
    expect(() => validatePolicy(policy, path)).not.toThrow();
  });

  it('states the same defaults as the build', () => {
    const keys = Object.keys(DEFAULT_POLICY) as Array<keyof typeof DEFAULT_POLICY>;
    // A rule's keys are defined once, for the top level and for each of "rules".
    const described = (key: string) => (schema.properties[key].$ref ? schema.definitions[key] : schema.properties[key]);
    const stated = Object.fromEntries(keys.map((key) => [key, described(key).default]));
    expect(stated).toEqual(DEFAULT_POLICY);
  });

  it.each([
    [{ allowOrigins: ['https://a.example.com'], allowOrigin: [] }, 'an unknown key'],
    [{ allowOrigins: [] }, 'an empty allowOrigins'],
    [{ allowOrigins: ['https://a.example.com/'] }, 'a trailing slash'],
    [{ allowOrigins: ['https://a.example.com'], maxAge: 86401 }, 'a maxAge over a day'],
    [{ allowOrigins: ['https://a.example.com'], preflight: 'cdn' }, 'an unknown preflight mode'],
    [{ allowOrigins: ['https://a.example.com'], originStore: 'dynamodb' }, 'an unknown store'],
    [{ rules: [] }, 'no rules'],
    [{ allowOrigins: ['https://a.example.com'], rules: [{ allowOrigins: ['https://b.example.com'] }] }, "a rule's key beside rules"],
    [{ rules: [{ allowOrigins: ['https://a.example.com'], alowMethods: ['PUT'] }] }, 'an unknown key in a rule'],
    [{ rules: [{ allowOrigins: [] }] }, 'an empty allowOrigins in a rule'],
    [{ rules: [{ id: 'allowed', allowOrigins: ['https://a.example.com'] }] }, 'the id a stored origin without --rule holds'],
    [{ rules: [{ allowOrigins: ['https://a.example.com'], maxAge: -1 }] }, 'a negative maxAge in a rule'],
    [{}, 'neither allowOrigins nor rules'],
    [{ rules: [{ allowOrigins: ['*'], allowCredentials: true }] }, '"*" with credentials in a rule'],
    [{ allowOrigins: ['*', 'https://a.example.com'] }, '"*" beside other origins'],
    [{ allowOrigins: ['*'], allowCredentials: true }, '"*" with credentials'],
  ])('lets editors flag %j (%s)', (policy, _problem) => {
    expect(check(policy)).toBe(false);
  });

  it('describes a policy with rules, which the build takes too', () => {
    const policy = {
      rules: [
        { id: 'writers', allowOrigins: ['https://app.example.com'], allowMethods: ['PUT', 'POST', 'DELETE'], allowHeaders: ['*'], allowCredentials: true, maxAge: 600 },
        { allowOrigins: ['*'], allowMethods: ['GET', 'HEAD'], exposeHeaders: ['ETag'] },
      ],
      preflight: 'edge',
      mode: 'report-only',
    };
    expect(check(policy), JSON.stringify(check.errors)).toBe(true);
    expect(() => validatePolicy(policy)).not.toThrow();
  });

  it('lets a policy with a KeyValueStore inline no origin at all', () => {
    const policy = { allowOrigins: [], originStore: 'keyvaluestore' };
    expect(check(policy), JSON.stringify(check.errors)).toBe(true);
    expect(() => validatePolicy(policy)).not.toThrow();
  });
});
