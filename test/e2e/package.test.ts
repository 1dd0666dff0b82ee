/**
 * What a user does (SPEC §9): `npm pack` this repository, install the tarball into a fresh project
 * with its own policy, and use every command and helper from that project's folder. Nothing may
 * be written inside node_modules/cloudfront-cors, and nothing may be left in the temp folder
 * (the commands run with a TMPDIR of their own, so other tests' scratch folders do not count).
 */
import { execFile, execFileSync, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../build/build.ts';
import { KVS_ARN, kvsChildEnv, startKvsServer } from '../support/kvs-server.ts';

const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

let work: string;
let project: string;
let scratch: string;
let tarball: string;

/** Every file under a folder, relative to it, sorted. */
function files(folder: string): string[] {
  return readdirSync(folder, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(folder.length + 1))
    .sort();
}

/** Runs `npx cloudfront-cors …` in the user's project, with the project's own temp folder. */
function cli(args: string[], env: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> {
  return spawnSync(join(project, 'node_modules', '.bin', 'cloudfront-cors'), args, {
    cwd: project,
    encoding: 'utf8',
    env: { PATH: process.env['PATH'], HOME: project, TMPDIR: scratch, ...env },
    timeout: 60_000,
  });
}

/** A user's mistake ends in a message, never a stack trace. */
function expectMessage(result: SpawnSyncReturns<string>, code: number, message: string | RegExp): void {
  expect(result.status, result.stderr).toBe(code);
  expect(result.stderr).toMatch(message);
  expect(result.stderr).not.toMatch(/^\s+at /m);
  expect(result.stderr).not.toContain('NodeVersionSupportWarning');
}

let installed: string[];

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'cloudfront-cors-package-'));
  execFileSync('npm', ['pack', '--silent', '--pack-destination', work], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  tarball = join(work, `cloudfront-cors-${VERSION}.tgz`);
  project = join(work, 'my-infra');
  scratch = join(work, 'tmp');
  mkdirSync(project);
  mkdirSync(scratch);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'my-infra', private: true, type: 'module' }, null, 2));
  // @types/node for the NodeNext type check, as any TypeScript project on Node has it.
  execFileSync('npm', ['install', '--save-dev', '--no-audit', '--no-fund', '--prefer-offline', tarball, '@types/node@20'], {
    cwd: project,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  installed = files(join(project, 'node_modules', 'cloudfront-cors'));
}, 180_000);

afterAll(() => {
  // The last word: whatever ran, the package's folder is as npm installed it, and no command or
  // helper left anything in the temp folder.
  expect(files(join(project, 'node_modules', 'cloudfront-cors'))).toEqual(installed);
  expect(readdirSync(scratch)).toEqual([]);
});

describe('the packed tarball', () => {
  it('holds the compiled code, its types, the function sources and the docs, and no tests or tarballs', () => {
    expect(installed).toEqual(expect.arrayContaining([
      'LICENSE', 'README.md', 'package.json', 'bin/cloudfront-cors.js', 'cors.config.schema.json', 'template.yaml',
      'lib/index.js', 'lib/index.d.ts', 'lib/testing/index.js', 'lib/testing/index.d.ts', 'lib/cli/main.js',
      'functions/core/cors.ts', 'functions/lambda-edge/viewer-request.ts', 'functions/cloudfront-functions/viewer-request.ts',
    ]));
    expect(installed.filter((file) => /^(test|bench|examples|\.ci)\/|\.tgz$|\.test\.|tsconfig|vitest/.test(file))).toEqual([]);
    // The README's links to the design notes and measurements work in the installed package too.
    expect(installed).toEqual(expect.arrayContaining(['docs/performance.md', 'docs/development.md']));
    const manifest = JSON.parse(readFileSync(join(project, 'node_modules', 'cloudfront-cors', 'package.json'), 'utf8'));
    expect(manifest.private).toBeUndefined();
    expect(Object.keys(manifest.dependencies)).not.toContain('tsx');
  });
});

describe('npx cloudfront-cors, in the user\'s project', () => {
  it('prints its version and its commands, and names an unknown one', () => {
    expect(cli(['--version']).stdout.trim()).toBe(VERSION);
    expect(cli(['--help']).stdout).toMatch(/init .*\n.*import .*\n.*validate .*\n.*build /);
    expect(cli(['build', '--help']).stdout).toContain('usage: npx cloudfront-cors build');
    expect(cli(['build', '--help']).stdout).not.toContain('--distribution-id');
    expectMessage(cli(['bogus']), 2, /unknown command "bogus"/);
    expectMessage(cli(['build', '--confg', 'x.json']), 2, /Unknown option '--confg'[\s\S]*usage: npx cloudfront-cors build/);
  });

  it('init writes ./cors.config.json with the installed schema, and never overwrites it', () => {
    expect(cli(['init']).status).toBe(0);
    const policy = JSON.parse(readFileSync(join(project, 'cors.config.json'), 'utf8'));
    expect(policy.$schema).toBe('./node_modules/cloudfront-cors/cors.config.schema.json');
    expect(existsSync(join(project, policy.$schema))).toBe(true);
    expectMessage(cli(['init']), 1, /cors\.config\.json already exists/);
    // The user's own policy from here on.
    writeFileSync(join(project, 'cors.config.json'), JSON.stringify({ ...policy, allowOrigins: ['https://shop.example.org', 'https://*.preview.example.org'] }, null, 2));
  });

  it('validate checks ./cors.config.json and writes nothing', () => {
    const before = files(project);
    const result = cli(['validate']);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain('cors.config.json: valid: 2 origins');
    writeFileSync(join(scratch, '..', 'bad.json'), JSON.stringify({ allowOrigins: ['https://*.amazonaws.com', 'null'] }));
    expectMessage(cli(['validate', '--config', '../bad.json']), 1, /allowOrigins\[0\] "https:\/\/\*\.amazonaws\.com"[\s\S]*allowOrigins\[1\] "null"/);
    expect(files(project)).toEqual(before);
  });

  it('build writes ./dist from ./cors.config.json and prints the sizes', () => {
    const result = cli(['build']);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain('dist/cloudfront-functions/viewer-request.js');
    expect(readFileSync(join(project, 'dist', 'cloudfront-functions', 'viewer-request.js'), 'utf8')).toContain('"shop.example.org":1');
    expect(existsSync(join(project, 'dist', 'template.yaml'))).toBe(true);
  });

  it('deploy builds what the user chose, then runs sam on ./dist/template.yaml with ./samconfig.toml', () => {
    // A stand-in for the SAM CLI, outside the project: it answers --version and records every other call.
    const bin = mkdtempSync(join(work, 'bin-'));
    const calls = join(bin, 'calls.json');
    writeFileSync(join(bin, 'sam'), `#!${process.execPath}
if (process.argv[2] === '--version') { console.log('SAM CLI, version 1.150.0'); process.exit(0); }
require('fs').writeFileSync(${JSON.stringify(calls)}, JSON.stringify(process.argv.slice(2)));
`);
    chmodSync(join(bin, 'sam'), 0o755);
    const path = `${bin}:${dirname(process.execPath)}:/usr/bin:/bin`;
    const result = cli(['deploy', '--record-events', '--viewer-request', 'lambda', '--', '--no-confirm-changeset'], { PATH: path });
    expect(result.status, result.stderr).toBe(0);
    expect(JSON.parse(readFileSync(calls, 'utf8'))).toEqual([
      'deploy', '--template-file', join(project, 'dist', 'template.yaml'), '--config-file', join(project, 'samconfig.toml'),
      '--config-env', 'cloudfront-cors', '--guided', '--region', 'us-east-1', '--capabilities', 'CAPABILITY_IAM', '--no-confirm-changeset',
    ]);
    const template = readFileSync(join(project, 'dist', 'template.yaml'), 'utf8');
    expect(template).not.toContain('ViewerRequestFunction');
    expect(template).toContain('ViewerRequestLambda');
    expect(readFileSync(join(project, 'dist', 'lambda-edge', 'viewer-request', 'index.mjs'), 'utf8')).toMatch(/"cloudfront-cors":\s*"viewer-request"/);
    // Without sam, nothing is built: the message says what to install.
    const rebuilt = files(join(project, 'dist'));
    expectMessage(cli(['deploy'], { PATH: `${dirname(process.execPath)}:/usr/bin:/bin` }), 1, /the AWS SAM CLI is not installed/);
    expect(files(join(project, 'dist'))).toEqual(rebuilt);
  });

  it('answers every user mistake with a message and an exit code', async () => {
    writeFileSync(join(project, 'bad.json'), JSON.stringify({ allowOrigins: [] }));
    expectMessage(cli(['dev', '--config', 'bad.json']), 1, /bad\.json: the policy is refused[\s\S]*allowOrigins is empty/);
    expectMessage(cli(['replay', '--config', 'missing.json', 'x.log']), 1, /cannot read x\.log/);
    writeFileSync(join(project, 'x.log'), JSON.stringify({ Records: [{ cf: { config: { eventType: 'viewer-request' }, request: { method: 'GET', headers: {} } } }] }));
    expectMessage(cli(['replay', '--config', 'missing.json', 'x.log']), 1, /missing\.json: the policy is refused[\s\S]*cannot read the file \(ENOENT\)/);
    expectMessage(cli(['replay', '--dist', 'missing/', 'x.log']), 1, /missing\/ holds no complete build .*npx cloudfront-cors build first/);
    expectMessage(cli(['dev', '--port', 'eighty']), 2, /--port takes a port number/);
    const busy: Server = await new Promise((done) => {
      const server = createServer().listen(0, '127.0.0.1', () => done(server));
    });
    try {
      const port = String((busy.address() as AddressInfo).port);
      expectMessage(cli(['dev', '--port', port, '--demo-port', '0']), 1, new RegExp(`port ${port} on 127\\.0\\.0\\.1 is in use; pick another with --port`));
    } finally {
      busy.close();
    }
    // AWS errors: a refused connection stands in for AWS here (no network); one line, no SDK warning.
    const aws = { AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret', AWS_ENDPOINT_URL: 'http://127.0.0.1:9', AWS_MAX_ATTEMPTS: '1' };
    const attach = cli(['attach', '--distribution-id', 'E1A2B3C4D5E6F7', '--stack-name', 'cors'], aws);
    expectMessage(attach, 1, /^cloudfront-cors attach: .*ECONNREFUSED/);
    expect(attach.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('refuses an --out that is not a build\'s own folder, and leaves it as it was', () => {
    mkdirSync(join(project, 'src'), { recursive: true });
    writeFileSync(join(project, 'src', 'app.ts'), 'export {};\n');
    mkdirSync(join(project, 'policies'), { recursive: true });
    writeFileSync(join(project, 'policies', 'cors.json'), readFileSync(join(project, 'cors.config.json')));
    const before = files(project);
    for (const [args, why] of [
      [['--out', '.'], /current folder or one above it/],
      [['--out', ''], /current folder or one above it/],
      [['--out', '..'], /current folder or one above it/],
      [['--out', 'src'], /holds files that no cloudfront-cors build wrote/],
      [['--out', 'package.json'], /it is a file/],
      [['--out', 'node_modules/cloudfront-cors'], /inside node_modules/],
      [['--config', 'policies/cors.json', '--out', 'policies'], /holds the policy file/],
    ] as const) {
      expectMessage(cli(['build', ...args]), 1, why);
    }
    expectMessage(cli(['deploy', '--out', 'src']), 1, /holds files that no cloudfront-cors build wrote/);
    expect(files(project)).toEqual(before);
  });

  it('writes nothing inside node_modules, and no fixture outside the folder --save names', () => {
    writeFileSync(join(project, 'ev.json'), JSON.stringify({ Records: [{ cf: { config: { eventType: 'viewer-request' }, request: { method: 'GET', headers: {} } } }] }));
    expectMessage(cli(['init', '--config', 'node_modules/cloudfront-cors/x.json']), 1, /inside node_modules/);
    expectMessage(cli(['replay', '--save', 'node_modules/cloudfront-cors/ev', 'ev.json']), 1, /inside node_modules/);
    expectMessage(cli(['replay', '--save', 'fixtures', '--name', '../../escape', 'ev.json']), 2, /a fixture name is letters, digits/);
    expectMessage(cli(['replay', '--name', 'x', 'ev.json']), 2, /give --save DIR too/);
    expect(existsSync(join(work, 'escape.json'))).toBe(false);
  });

  it('names a help topic or a version argument it does not know, and refuses a dev origin or bucket it cannot serve', () => {
    expectMessage(cli(['help', 'bogus']), 2, /unknown command "bogus"/);
    expectMessage(cli(['--version', 'extra']), 2, /unknown command "--version extra"/);
    expect(cli(['help', 'deploy']).stdout).toContain('usage: npx cloudfront-cors deploy');
    expectMessage(cli(['dev', '--origin', 'notaurl']), 2, /--origin "notaurl": an http:\/\/ or https:\/\/ URL/);
    expectMessage(cli(['dev', '--origin', 'ftp://x.example']), 2, /an http:\/\/ or https:\/\/ URL/);
    expectMessage(cli(['dev', '--bucket', 'no-such-folder']), 1, /--bucket no-such-folder: no such folder/);
  });

  it('replays Lambda@Edge events through a build without a CloudFront Function, and says why it cannot run a function event', () => {
    expect(cli(['build', '--viewer-request', 'lambda', '--out', 'dist-lambda']).status).toBe(0);
    writeFileSync(join(project, 'fn.json'), JSON.stringify({ version: '1.0', context: { eventType: 'viewer-request' }, request: { method: 'GET', headers: {} } }));
    const lambda = cli(['replay', '--dist', 'dist-lambda', 'ev.json']);
    expect(lambda.status, lambda.stderr).toBe(0);
    expectMessage(cli(['replay', '--dist', 'dist-lambda', 'fn.json']), 1, /this build has no CloudFront Function \(it was built with --viewer-request lambda\)/);
  });

  it('runs the testing helpers from plain Node ESM', () => {
    writeFileSync(join(project, 'policy.test.mjs'), `
import { buildHandlers, viewerRequestEvent, functionRequestEvent, originResponseEvent, runEvent, header, status } from 'cloudfront-cors/testing';
import { validatePolicy } from 'cloudfront-cors';
const handlers = await buildHandlers('cors.config.json');
const fromObject = await buildHandlers({ allowOrigins: ['https://other.example'] });
const answers = [
  header(await runEvent(handlers, viewerRequestEvent({ origin: 'HTTPS://Shop.Example.org:443' })), 'origin'),
  header(await runEvent(handlers, functionRequestEvent({ origin: 'https://pr-7.preview.example.org' })), 'origin'),
  header(await runEvent(handlers, viewerRequestEvent({ origin: 'https://evil.example' })), 'origin'),
  status(await runEvent(handlers, viewerRequestEvent({ method: 'OPTIONS', origin: 'https://shop.example.org', requestMethod: 'GET' }))),
  status(await runEvent(handlers, functionRequestEvent({ method: 'OPTIONS', origin: 'https://shop.example.org', requestMethod: 'DELETE' }))),
  header(await runEvent(handlers, originResponseEvent({ request: { origin: 'https://shop.example.org' }, headers: { 'Access-Control-Allow-Origin': '*' } })), 'access-control-allow-origin'),
  header(await runEvent(fromObject, viewerRequestEvent({ origin: 'https://other.example' })), 'origin'),
  validatePolicy({ allowOrigins: ['http://127.1'] }).allowOrigins[0],
];
console.log(JSON.stringify(answers));
`);
    const result = spawnSync(process.execPath, ['policy.test.mjs'], { cwd: project, encoding: 'utf8', env: { PATH: process.env['PATH'], TMPDIR: scratch } });
    expect(result.status, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual([
      'https://shop.example.org', 'https://pr-7.preview.example.org', 'null', 204, 403, 'https://shop.example.org', 'https://other.example', 'http://127.0.0.1',
    ]);
  });

  /**
   * Runs a README section's test (its first code block in `language`) with the section's policy (its
   * first JSON block), in a folder of the user's project, with the user's test runner: this
   * repository's vitest, linked in as an install would put it. Returns the folder.
   */
  function runReadmeTest(from: string, to: string, language: 'ts' | 'js', folderName: string): string {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf(from), readme.indexOf(to));
    const policy = /```json\n([\s\S]*?)\n```/.exec(section)![1]!;
    const test = new RegExp(`\`\`\`${language}\\n([\\s\\S]*?)\\n\`\`\``).exec(section)![1]!;
    const folder = join(project, folderName);
    mkdirSync(folder);
    writeFileSync(join(folder, 'cors.config.json'), policy);
    writeFileSync(join(folder, `policy.test.${language}`), test);
    if (!existsSync(join(project, 'node_modules', 'vitest'))) symlinkSync(join(ROOT, 'node_modules', 'vitest'), join(project, 'node_modules', 'vitest'));
    const result = spawnSync(join(ROOT, 'node_modules', '.bin', 'vitest'), ['run', '--root', folder], {
      cwd: folder,
      encoding: 'utf8',
      env: { PATH: process.env['PATH'], TMPDIR: scratch, CI: 'true' },
    });
    expect(result.status, result.stdout + result.stderr).toBe(0);
    expect(result.stdout.replace(/\x1b\[[0-9;]*m/g, '')).toMatch(/Tests\s+2 passed/);
    return folder;
  }

  it('runs the README\'s quick start test, with its policy, in a folder of the user\'s project', () => {
    runReadmeTest('## Quick start', '## How the pieces fit', 'ts', 'readme');
  });

  it('runs the README\'s KeyValueStore test, with its policy, writing nothing into the project', () => {
    const folder = runReadmeTest('## A live allowlist', '## What the functions do', 'js', 'readme-store');
    // No cors.secret: the helpers' handlers are never deployed, so they sign with a key of their own.
    expect(files(folder).filter((file) => !file.startsWith('node_modules/.vite/'))).toEqual(['cors.config.json', 'policy.test.js']);
  });

  it('builds a policy with a KeyValueStore and edits the store with origins, through the SDK the package installed', async () => {
    // Prepare: a store policy in a folder of the project, and a loopback KeyValueStore.
    const folder = join(project, 'with-store');
    mkdirSync(folder);
    writeFileSync(join(folder, 'cors.config.json'), JSON.stringify({ allowOrigins: [], originStore: 'keyvaluestore' }));
    const kvs = await startKvsServer();
    const run = (args: string[]) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
        execFile(join(project, 'node_modules', '.bin', 'cloudfront-cors'), args, { cwd: folder, env: { PATH: process.env['PATH'], HOME: project, TMPDIR: scratch, ...kvsChildEnv(kvs) } },
          (error, stdout, stderr) => done({ code: error === null ? 0 : Number(error.code), stdout, stderr }));
      });
    try {
      // Act
      const built = await run(['build']);
      const added = await run(['origins', 'add', 'https://customer.example.net', '--kvs-arn', KVS_ARN]);
      const refused = await run(['origins', 'add', 'https://*.com', '--kvs-arn', KVS_ARN]);
      // Assess
      expect(built.code, built.stderr).toBe(0);
      expect(built.stderr).toMatch(/note: wrote cors\.secret/);
      expect(readFileSync(join(folder, 'dist', 'template.yaml'), 'utf8')).toMatch(/Type: AWS::CloudFront::KeyValueStore/);
      expect(readFileSync(join(folder, 'dist', 'cloudfront-functions', 'viewer-request.js'), 'utf8')).toMatch(/^import [\w$]+ from"cloudfront";/);
      expect(added, added.stderr).toMatchObject({ code: 0, stdout: expect.stringContaining('+ https://customer.example.net') });
      expect([...kvs.keys.keys()]).toEqual(['https://customer.example.net']);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/nothing written; an origin is refused/);
      for (const result of [built, added, refused]) {
        expect(result.stderr).not.toMatch(/^\s+at /m);
        expect(result.stderr).not.toContain('NodeVersionSupportWarning');
      }
    } finally {
      await kvs.close();
    }
  });

  it('imports an S3 configuration with rules, builds it, and the installed helpers answer as S3 picks the rule', () => {
    // Prepare: the output of aws s3api get-bucket-cors, in a folder of the project.
    const folder = join(project, 'from-s3');
    mkdirSync(folder);
    copyFileSync(join(ROOT, 'test', 's3-cors', 'get-bucket-cors.json'), join(folder, 'cors.json'));
    const run = (args: string[]) =>
      spawnSync(join(project, 'node_modules', '.bin', 'cloudfront-cors'), args, { cwd: folder, encoding: 'utf8', env: { PATH: process.env['PATH'], HOME: project, TMPDIR: scratch }, timeout: 60_000 });
    // Act
    const imported = run(['import', '--from', 'cors.json']);
    const validated = run(['validate']);
    const built = run(['build']);
    writeFileSync(
      join(folder, 'check.mjs'),
      `import { buildHandlers, functionRequestEvent, header, originResponseEvent, status, viewerRequestEvent } from 'cloudfront-cors/testing';
const handlers = await buildHandlers('cors.config.json');
const write = await handlers.viewerRequestFunctionAsync(functionRequestEvent({ method: 'OPTIONS', origin: 'https://www.example1.com', requestMethod: 'PUT', requestHeaders: 'content-type' }));
const otherWrite = await handlers.viewerRequestLambda(viewerRequestEvent({ method: 'OPTIONS', origin: 'https://reader.example.org', requestMethod: 'PUT' }));
const otherRead = await handlers.viewerRequestLambda(viewerRequestEvent({ origin: 'https://reader.example.org' }));
const answer = await handlers.originResponse(originResponseEvent({ request: { origin: header(otherRead, 'origin') }, headers: { 'Access-Control-Allow-Origin': 'https://reader.example.org', 'Access-Control-Allow-Credentials': 'true' } }));
console.log(JSON.stringify([status(write), header(write, 'access-control-allow-credentials'), status(otherWrite), header(otherRead, 'origin'), header(answer, 'access-control-allow-origin'), header(answer, 'access-control-allow-credentials') ?? 'none']));
`,
    );
    const checked = spawnSync(process.execPath, ['check.mjs'], { cwd: folder, encoding: 'utf8', env: { PATH: process.env['PATH'], HOME: project, TMPDIR: scratch } });
    // Assess
    expect(imported.status, imported.stderr).toBe(0);
    expect(imported.stdout).toBe('wrote cors.config.json: 3 rules from get-bucket-cors JSON; check it with npx cloudfront-cors validate\n');
    expect(imported.stderr).toMatch(/note: CORSRules\[2\] AllowedOrigins "\*"/);
    expect(JSON.parse(readFileSync(join(folder, 'cors.config.json'), 'utf8')).$schema).toBe('../node_modules/cloudfront-cors/cors.config.schema.json');
    expect(validated.stdout).toMatch(/valid: 3 rules, the first that matches a request decides/);
    expect(built.status, built.stderr).toBe(0);
    expect(checked.status, checked.stderr).toBe(0);
    expect(JSON.parse(checked.stdout)).toEqual([204, 'true', 403, 'null', '*', 'none']);
  });

  it('says what to install when cloudfront-cors/cdk is imported without the AWS CDK', () => {
    writeFileSync(join(project, 'cdk-missing.mjs'), "try { await import('cloudfront-cors/cdk'); } catch (error) { console.log(error.message); }\n");
    const result = spawnSync(process.execPath, ['cdk-missing.mjs'], { cwd: project, encoding: 'utf8' });
    expect(result.stdout).toContain('cloudfront-cors/cdk needs the AWS CDK v2 in your project: npm i -D aws-cdk-lib constructs');
  });

  it('type-checks a test that uses the helpers under NodeNext and strict, and catches a wrong type', () => {
    writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true, noEmit: true, types: ['node'] },
      files: ['policy.test.ts'],
    }));
    const test = `import { buildHandlers, viewerRequestEvent, runEvent, header, status, type EdgeHandlers } from 'cloudfront-cors/testing';
import { build, validatePolicy, type BuildReport } from 'cloudfront-cors';
const handlers: EdgeHandlers = await buildHandlers({ allowOrigins: ['https://shop.example.org'] });
const answer = await runEvent(handlers, viewerRequestEvent({ origin: 'https://shop.example.org', method: 'OPTIONS', requestMethod: 'GET' }));
const origin: string | undefined = header(answer, 'access-control-allow-origin');
const code: number | undefined = status(answer);
const report: BuildReport = await build({ policy: validatePolicy({ allowOrigins: ['https://a.example'] }), outDir: 'dist-typed' });
console.log(origin, code, report.artifacts.length);
`;
    const tsc = join(ROOT, 'node_modules', '.bin', 'tsc');
    writeFileSync(join(project, 'policy.test.ts'), test);
    const clean = spawnSync(tsc, ['-p', project], { cwd: project, encoding: 'utf8' });
    expect(clean.status, clean.stdout).toBe(0);
    writeFileSync(join(project, 'policy.test.ts'), `${test}const wrong: number = header(answer, 'vary');\n`);
    const wrong = spawnSync(tsc, ['-p', project], { cwd: project, encoding: 'utf8' });
    expect(wrong.stdout).toMatch(/policy\.test\.ts\(9,7\): error TS2322/);
  });
});

describe('the CDK example, in a project of its own with aws-cdk-lib', () => {
  it('synthesizes examples/cdk into templates: the site in eu-west-1, the Lambda@Edge functions in us-east-1', () => {
    const app = join(work, 'cdk-app');
    mkdirSync(app);
    for (const file of ['app.ts', 'cors.config.json', 'cdk.json']) writeFileSync(join(app, file), readFileSync(join(ROOT, 'examples', 'cdk', file)));
    const manifest = JSON.parse(readFileSync(join(ROOT, 'examples', 'cdk', 'package.json'), 'utf8'));
    const versions = manifest.devDependencies as Record<string, string>;
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'cdk-app', private: true, type: 'module' }));
    execFileSync('npm', ['install', '--save-dev', '--no-audit', '--no-fund', '--prefer-offline', tarball,
      `aws-cdk-lib@${versions['aws-cdk-lib']}`, `constructs@${versions['constructs']}`], { cwd: app, stdio: ['ignore', 'pipe', 'pipe'] });
    const before = files(join(app, 'node_modules', 'cloudfront-cors'));
    // What `cdk synth` runs (cdk.json's app), with the repository's tsx standing in for the project's.
    const result = spawnSync(join(ROOT, 'node_modules', '.bin', 'tsx'), ['app.ts'], {
      cwd: app,
      encoding: 'utf8',
      env: { PATH: process.env['PATH'], HOME: app, TMPDIR: scratch, CDK_OUTDIR: join(app, 'cdk.out') },
    });
    expect(result.status, result.stderr).toBe(0);
    const templates = readdirSync(join(app, 'cdk.out')).filter((file) => file.endsWith('.template.json'));
    const resources = Object.fromEntries(templates.map((file) => {
      const template = JSON.parse(readFileSync(join(app, 'cdk.out', file), 'utf8')) as { Resources: Record<string, { Type: string }> };
      return [file, Object.values(template.Resources).map((resource) => resource.Type).sort()];
    }));
    expect(resources['Assets.template.json']).toEqual(expect.arrayContaining(['AWS::CloudFront::Function', 'AWS::CloudFront::CachePolicy', 'AWS::CloudFront::Distribution', 'AWS::S3::Bucket']));
    const edge = templates.find((file) => file.startsWith('edge-lambda-stack'))!;
    expect(resources[edge]).toEqual(expect.arrayContaining(['AWS::Lambda::Function', 'AWS::Lambda::Version', 'AWS::IAM::Role']));
    expect(files(join(app, 'node_modules', 'cloudfront-cors'))).toEqual(before);

    // The README's snippet, in a stack of its own, synthesizes too.
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Deploying with the AWS CDK'), readme.indexOf('## The policy file'));
    const snippet = /```ts\n([\s\S]*?)\n```/.exec(section)![1]!.split('\n');
    const imports = snippet.filter((line) => line.startsWith('import '));
    const body = snippet.filter((line) => !line.startsWith('import ') && !line.startsWith('//') && line.trim() !== '');
    writeFileSync(join(app, 'readme-app.ts'), [
      ...imports,
      "import { App, Stack } from 'aws-cdk-lib';",
      "import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';",
      'class ReadmeStack extends Stack {',
      "  constructor(scope: App) {",
      "    super(scope, 'Readme', { env: { region: 'us-east-1' } });",
      "    const origin = new origins.HttpOrigin('api.example.com');",
      ...body.map((line) => `    ${line}`),
      '  }',
      '}',
      'const readmeApp = new App();',
      'new ReadmeStack(readmeApp);',
      'readmeApp.synth();',
    ].join('\n'));
    const fromReadme = spawnSync(join(ROOT, 'node_modules', '.bin', 'tsx'), ['readme-app.ts'], {
      cwd: app,
      encoding: 'utf8',
      env: { PATH: process.env['PATH'], HOME: app, TMPDIR: scratch, CDK_OUTDIR: join(app, 'cdk.readme.out') },
    });
    expect(fromReadme.status, fromReadme.stderr).toBe(0);
    const readmeTemplate = readFileSync(join(app, 'cdk.readme.out', 'Readme.template.json'), 'utf8');
    expect(readmeTemplate).toContain('AWS::CloudFront::Function');

    // What `cdk init app --language typescript` makes is CommonJS with the node10 resolution, which
    // reads typesVersions rather than exports.
    writeFileSync(join(app, 'tsconfig.cjs.json'), JSON.stringify({
      compilerOptions: { module: 'commonjs', moduleResolution: 'node10', target: 'ES2022', strict: true, noEmit: true, types: ['node'], ignoreDeprecations: '6.0' },
      files: ['cjs-app.ts'],
    }));
    writeFileSync(join(app, 'cjs-app.ts'), "import { CloudFrontCors } from 'cloudfront-cors/cdk';\nimport { buildHandlers } from 'cloudfront-cors/testing';\nexport const parts: [typeof CloudFrontCors, typeof buildHandlers] = [CloudFrontCors, buildHandlers];\n");
    execFileSync('npm', ['install', '--save-dev', '--no-audit', '--no-fund', '--prefer-offline', '@types/node@20'], { cwd: app, stdio: ['ignore', 'pipe', 'pipe'] });
    const cjs = spawnSync(join(ROOT, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.cjs.json'], { cwd: app, encoding: 'utf8' });
    expect(cjs.status, cjs.stdout).toBe(0);
    // tsx keeps a compile cache in the temp folder; the construct's build left nothing there.
    expect(readdirSync(scratch).filter((entry) => !entry.startsWith('tsx-'))).toEqual([]);
    for (const entry of readdirSync(scratch)) rmSync(join(scratch, entry), { recursive: true, force: true });
  });
});
