/**
 * The README's examples are run, so the docs cannot drift from the code: its policies pass the
 * schema and the build, its refusal example is what the build says, its size table what it prints.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { ROOT, build } from '../../build/build.ts';
import { PolicyError, validatePolicy } from '../../build/policy-file.ts';
import { awsMocks, recordedDistribution, resetAwsMocks, runCli } from '../support/cloudfront-state.ts';

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** The README's fenced code blocks in one language ('' for unlabelled), in order. */
function blocks(language: string): string[] {
  const found: string[] = [];
  let current: { language: string; lines: string[] } | null = null;
  for (const line of README.split('\n')) {
    if (current === null && line.startsWith('```')) current = { language: line.slice(3).trim(), lines: [] };
    else if (current !== null && line === '```') {
      if (current.language === language) found.push(current.lines.join('\n'));
      current = null;
    } else current?.lines.push(line);
  }
  return found;
}

const aws = awsMocks();

describe('README', () => {
  it('shows what attach prints', async () => {
    resetAwsMocks(aws.cloudfront, aws.cloudformation);
    recordedDistribution(aws.cloudfront);
    const shown = blocks('').find((block) => block.startsWith('E1A2B3C4D5E6F7, the default behavior'))!;
    const result = await runCli('attach', '--distribution-id', 'E1A2B3C4D5E6F7', '--stack-name', 'cors', '--config', join(ROOT, 'test', 'policies', 'example.json'));
    expect(result.out).toBe(shown);
  });

  it('gives the build and test commands for working on this repository', () => {
    const first = blocks('sh').find((block) => block.startsWith('npm ci && npm run build'));
    expect(first).toMatch(/^npm ci && npm run build\s+#/m);
    expect(first).toMatch(/^npm test\s+#/m);
    expect(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts).toMatchObject({ build: expect.any(String), test: expect.any(String) });
  });

  it.each(blocks('json'))('has policies that pass the schema and the build: %s', (text) => {
    const policy = JSON.parse(text);
    const schema = JSON.parse(readFileSync(join(ROOT, 'cors.config.schema.json'), 'utf8'));
    expect(new Ajv({ strict: false }).validate(schema, policy)).toBe(true);
    expect(() => validatePolicy(policy)).not.toThrow();
  });

  it('shows the refusals the build really gives', () => {
    const example = blocks('').find((block) => block.startsWith('$ cat bad.json'))!;
    const policy = JSON.parse(example.split('\n')[1]!);
    const shown = example.split('\n').filter((line) => line.startsWith('  - ')).map((line) => line.slice(4));
    let problems: string[] = [];
    try {
      validatePolicy(policy, 'bad.json');
    } catch (error) {
      problems = (error as PolicyError).problems;
    }
    expect(shown).toEqual(problems);
  });

  it('states how many exact origins fit the CloudFront Function', async () => {
    const [, fit, over] = /(\d+) origins of the\s+`https:\/\/sN\.shopN\.com` kind fit in its 10 KB, (\d+) do not/.exec(README) ?? [];
    const shops = (count: number) => ({ allowOrigins: Array.from({ length: count }, (_, i) => `https://s${i}.shop${i}.com`) });
    const dir = mkdtempSync(join(tmpdir(), 'cloudfront-cors-capacity-'));
    const attempt = async (count: number) => {
      writeFileSync(join(dir, 'cors.config.json'), JSON.stringify(shops(count)));
      return build({ config: join(dir, 'cors.config.json'), outDir: join(dir, 'dist'), only: 'cloudfront-functions' }).then(
        () => 'fits',
        (error: Error) => error.message,
      );
    };
    expect(await attempt(Number(fit))).toBe('fits');
    expect(await attempt(Number(over))).toMatch(/over CloudFront's size limit: cloudfront-functions\/viewer-request\.js/);
  });

  it('shows the cache figures the script prints', () => {
    const shown = blocks('').find((block) => block.startsWith('10,000 requests for one object'))!;
    const result = spawnSync(join(ROOT, 'node_modules', '.bin', 'tsx'), [join(ROOT, 'bench', 'cache-figures.ts')], { encoding: 'utf8' });
    expect(result.status).toBe(0);
    expect(result.stdout.trimEnd()).toBe(shown);
  });

  it('shows the size table the build prints for the default policy', () => {
    // Built into a scratch folder's dist/, so the table prints the same paths as the README's.
    const result = spawnSync(process.execPath, [join(ROOT, 'bin', 'cloudfront-cors.js'), 'build', '--config', join(ROOT, 'cors.config.json')], {
      encoding: 'utf8',
      cwd: mkdtempSync(join(tmpdir(), 'cloudfront-cors-readme-')),
    });
    const printed = result.stdout.split('\n').slice(0, 4).join('\n');
    const shown = blocks('').find((block) => block.startsWith('artifact '))!.trimEnd();
    expect(shown).toBe(printed);
  });
});
