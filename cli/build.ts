/**
 * `npx cloudfront-cors build`: validates the policy, bundles the edge handlers with it inlined, and
 * prints each artifact's size against CloudFront's limit (SPEC §2). Paths are relative to the
 * folder the command runs in. Exit codes: 0 built; 1 policy refused or build failed (the output
 * folder untouched); 2 bad arguments.
 */
import { build, BuildError, type BuildOptions, type BuildReport } from '../build/build.ts';
import { PolicyError } from '../build/policy-file.ts';
import { sizeTable } from '../build/size-table.ts';
import { BadArguments, oneOf, parseFlags, Refusal, writablePath, type Command, type Output } from './command.ts';

/** The flags `build` and `deploy` share: they choose what gets built. */
export const BUILD_FLAGS = {
  config: { type: 'string' },
  out: { type: 'string' },
  'record-events': { type: 'boolean' },
  'viewer-request': { type: 'string' },
  'store-secret': { type: 'string' },
} as const;

export const BUILD_FLAGS_USAGE = `  --config PATH                  policy file (default: ./cors.config.json)
  --out DIR                      output folder (default: ./dist)
  --viewer-request function|lambda
                                 the viewer-request flavour to deploy (default: function); lambda
                                 builds no CloudFront Function, so a policy over its 10 KB fits
  --record-events                the handlers log every event they receive as one JSON line, for
                                 replay (costs log volume and compute; logs hold viewers' headers)
  --store-secret FILE            with "originStore": the file holding the key the function's vouch
                                 is signed with (default: cors.secret beside the policy; written
                                 with a new key when missing)`;

export const buildCommand: Command = {
  name: 'build',
  summary: 'validate the policy and build the edge functions into ./dist',
  usage: `usage: npx cloudfront-cors build [--config PATH] [--out DIR] [--only lambda-edge|cloudfront-functions] [--viewer-request function|lambda] [--record-events]

Validates the policy and builds the functions with it inlined (Lambda@Edge has no environment
variables), then prints each one's size against CloudFront's limit. Writes DIR/template.yaml, the
template \`npx cloudfront-cors deploy\` deploys. A refused policy or a failed build leaves DIR as it was.

${BUILD_FLAGS_USAGE}
  --only TARGET                  build only lambda-edge or cloudfront-functions; keep the other from DIR`,

  async run(argv, output) {
    const { values } = parseFlags(argv, { ...BUILD_FLAGS, only: { type: 'string' } });
    if (values.help) {
      output.out(this.usage);
      return 0;
    }
    const only = oneOf('--only', values.only, ['lambda-edge', 'cloudfront-functions'] as const);
    await runBuild(buildOptions(values, only), output);
    return 0;
  },
};

/** The build options the shared flags give. */
export function buildOptions(
  values: { config?: string; out?: string; 'record-events'?: boolean; 'viewer-request'?: string; 'store-secret'?: string },
  only?: BuildOptions['only'],
): BuildOptions & { outDir: string } {
  const viewerRequest = oneOf('--viewer-request', values['viewer-request'], ['function', 'lambda'] as const);
  if (viewerRequest === 'lambda' && only === 'cloudfront-functions') {
    throw new BadArguments('--viewer-request lambda builds no CloudFront Function; drop --only cloudfront-functions');
  }
  return {
    config: values.config,
    outDir: values.out ?? 'dist',
    only,
    recordEvents: values['record-events'] === true,
    viewerRequest,
    ...(values['store-secret'] === undefined ? {} : { storeSecretFile: writablePath('--store-secret', values['store-secret']) }),
  };
}

/**
 * Builds and prints what was built: notes, the size table, and where the template is.
 *
 * @throws PolicyError for a refused policy, Refusal for a failed build (after printing the table)
 */
export async function runBuild(options: BuildOptions & { outDir: string }, output: Output): Promise<BuildReport> {
  const out = options.outDir;
  let report: BuildReport;
  try {
    report = await build(options);
  } catch (error) {
    if (error instanceof BuildError && error.artifacts.length > 0) output.err(sizeTable(out, error.artifacts));
    if (error instanceof BuildError || error instanceof PolicyError) throw new Refusal(`${error.message}\n${out}/ was left as it was.`);
    throw error;
  }
  for (const note of report.notes) output.err(`note: ${note}`);
  if (options.recordEvents) output.err('recording: the handlers log every event they receive (npx cloudfront-cors replay reads the lines)');
  output.out(sizeTable(out, report.artifacts));
  output.out(`\nbuilt from ${options.config ?? 'cors.config.json'} into ${out}/`);
  if (report.template) output.out(`deployable template: ${out}/template.yaml (npx cloudfront-cors deploy)`);
  if (report.stale !== null) {
    output.err(
      `warning: ${out}/${report.stale} was built from another policy (or one not recorded), so ${out}/template.yaml was not written: ` +
        'the two runtimes would disagree. Build again without --only to rebuild both.',
    );
  }
  return report;
}
