/**
 * `npm run deploy`: build, then `sam deploy` on the built template. The SAM CLI is replaced by a
 * script on PATH that records its arguments: what is tested is what this package asks of SAM.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../build/build.ts';
import { samArguments } from '../../deploy/deploy.ts';

function deployWith(sam: 'recording' | 'missing', ...args: string[]) {
  const dir = mkdtempSync(join(tmpdir(), 'cloudfront-cors-deploy-'));
  const record = join(dir, 'sam-arguments.json');
  if (sam === 'recording') {
    // `sam --version` is how deploy checks that sam exists; every other call is recorded.
    writeFileSync(
      join(dir, 'sam'),
      `#!${process.execPath}\nif (process.argv[2] === '--version') console.log('SAM CLI, version 1.150.0');\n` +
        `else require('fs').writeFileSync(${JSON.stringify(record)}, JSON.stringify(process.argv.slice(2)));\n`,
    );
    chmodSync(join(dir, 'sam'), 0o755);
  }
  const out = join(dir, 'dist');
  const result = spawnSync(process.execPath, [join(ROOT, 'bin', 'cloudfront-cors.js'), 'deploy', '--out', out, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { PATH: dir, HOME: dir },
  });
  return { ...result, out, sam: existsSync(record) ? (JSON.parse(readFileSync(record, 'utf8')) as string[]) : undefined };
}

describe('npm run deploy', () => {
  it('builds, then deploys the built template with sam, passing on arguments after --', () => {
    const config = join(ROOT, 'test', 'policies', 'example.json');
    const result = deployWith('recording', '--config', config, '--', '--parameter-overrides', 'OriginDomainName=my-bucket.s3.us-east-1.amazonaws.com');
    expect(result.status).toBe(0);
    expect(existsSync(join(result.out, 'template.yaml'))).toBe(true);
    expect(result.stdout).toContain('cloudfront-functions/viewer-request.js');
    expect(result.sam?.slice(0, 5)).toEqual(['deploy', '--template-file', join(result.out, 'template.yaml'), '--config-file', join(ROOT, 'samconfig.toml')]);
    expect(result.sam?.slice(-2)).toEqual(['--parameter-overrides', 'OriginDomainName=my-bucket.s3.us-east-1.amazonaws.com']);
  });

  it('says how to install the SAM CLI when it is missing, before building', () => {
    const result = deployWith('missing');
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/the AWS SAM CLI is not installed .*install-sam-cli/);
  });

  it('deploys nothing when the build fails', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cloudfront-cors-deploy-'));
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ allowOrigins: ['null'] }));
    const result = deployWith('recording', '--config', join(dir, 'bad.json'));
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('the build failed, nothing was deployed');
    expect(result.sam).toBeUndefined();
  });
});

describe('samArguments', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cloudfront-cors-samconfig-'));

  it('is guided in us-east-1 the first time, with the IAM capability the role needs, in an environment of its own', () => {
    expect(samArguments('dist/template.yaml', join(dir, 'samconfig.toml'), [])).toEqual([
      'deploy', '--template-file', 'dist/template.yaml', '--config-file', join(dir, 'samconfig.toml'), '--config-env', 'cloudfront-cors',
      '--guided', '--region', 'us-east-1', '--capabilities', 'CAPABILITY_IAM',
    ]);
  });

  it('is still guided when samconfig.toml holds only another app\'s answers, so it never deploys over that app\'s stack', () => {
    writeFileSync(join(dir, 'samconfig.toml'), 'version = 0.1\n[default.deploy.parameters]\nstack_name = "my-app"\n');
    expect(samArguments('dist/template.yaml', join(dir, 'samconfig.toml'), [])).toContain('--guided');
  });

  it('reads its own answers from samconfig.toml once they are there', () => {
    writeFileSync(join(dir, 'samconfig.toml'), 'version = 0.1\n[default.deploy.parameters]\nstack_name = "my-app"\n[cloudfront-cors.deploy.parameters]\nstack_name = "cors"\n');
    expect(samArguments('dist/template.yaml', join(dir, 'samconfig.toml'), ['--no-confirm-changeset'])).toEqual([
      'deploy', '--template-file', 'dist/template.yaml', '--config-file', join(dir, 'samconfig.toml'), '--config-env', 'cloudfront-cors',
      '--no-confirm-changeset',
    ]);
  });
});
