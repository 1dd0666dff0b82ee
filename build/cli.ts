/**
 * `npm run build -- [--config PATH] [--only lambda-edge|cloudfront-functions] [--out DIR]`
 *
 * Exit codes: 0 built; 1 policy refused or build failed (dist/ untouched); 2 bad arguments.
 */
import { parseArgs } from 'node:util';
import { build, BuildError, type BuildTarget } from './build.ts';
import { sizeTable } from './size-table.ts';
import { PolicyError } from './policy-file.ts';

const USAGE = `usage: npm run build -- [--config PATH] [--only lambda-edge|cloudfront-functions] [--out DIR] [--record-events]

  --config PATH     policy file (default: cors.config.json)
  --only TARGET     build only lambda-edge or cloudfront-functions; keep the other from dist/
  --out DIR         output folder (default: dist)
  --record-events   the handlers log every event they receive as one JSON line, for replay
                    (costs log volume and compute; logs carry viewers' headers: see the README)`;

function main(argv: string[]): Promise<number> | number {
  let values: { config?: string; only?: string; out?: string; help?: boolean; 'record-events'?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        config: { type: 'string' },
        only: { type: 'string' },
        out: { type: 'string' },
        'record-events': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    console.error(`cloudfront-cors build: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (values.only !== undefined && values.only !== 'lambda-edge' && values.only !== 'cloudfront-functions') {
    console.error(`cloudfront-cors build: --only takes lambda-edge or cloudfront-functions, not "${values.only}"\n\n${USAGE}`);
    return 2;
  }
  return run(values.config, values.out, values.only as BuildTarget | undefined, values['record-events'] === true);
}

async function run(config: string | undefined, outDir: string | undefined, only: BuildTarget | undefined, recordEvents: boolean): Promise<number> {
  const out = outDir ?? 'dist';
  try {
    const { artifacts, template, stale, notes } = await build({ config, outDir, only, recordEvents });
    for (const note of notes) console.warn(`note: ${note}`);
    if (recordEvents) console.warn('recording: the handlers log every event they receive (npx cloudfront-cors replay reads the lines)');
    console.log(sizeTable(out, artifacts));
    console.log(`\nbuilt from ${config ?? 'cors.config.json'} into ${out}/`);
    if (template) console.log(`deployable template: ${out}/template.yaml (npm run deploy)`);
    if (stale !== null) {
      console.warn(
        `warning: ${out}/${stale} was built from another policy (or one not recorded), so ${out}/template.yaml was not written: ` +
          `the two runtimes would disagree. Run npm run build without --only to rebuild both.`,
      );
    }
    return 0;
  } catch (error) {
    if (error instanceof BuildError && error.artifacts.length > 0) console.error(sizeTable(out, error.artifacts));
    if (error instanceof PolicyError || error instanceof BuildError) {
      console.error(`\ncloudfront-cors build failed: ${error.message}\n${out}/ was left as it was.`);
      return 1;
    }
    throw error;
  }
}

process.exitCode = await main(process.argv.slice(2));
