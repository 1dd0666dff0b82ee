/**
 * `npx cloudfront-cors import`: an S3 bucket's CORS rules as `./cors.config.json`, rule for rule
 * (SPEC §11), from a file in any form S3's rules come in, or from the bucket itself through the
 * AWS SDK. What S3 did unsafely is written safe, and said; what a policy cannot say is refused
 * with the reason, and nothing is written.
 */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { BadArguments, Refusal, parseFlags, writablePath, type Command } from './command.ts';
import { schemaReference } from './init.ts';

export const importCommand: Command = {
  name: 'import',
  summary: "turn an S3 bucket's CORS rules into ./cors.config.json",
  usage: `usage: npx cloudfront-cors import (--from FILE | --bucket NAME) [options]

Turns an S3 CORS configuration into a policy, rule for rule: the first rule that matches a request
decides, as in S3.

  --from FILE        the configuration: the JSON of aws s3api get-bucket-cors, the rule array the
                     S3 console shows, the XML <CORSConfiguration>, or a CloudFormation template
                     (YAML or JSON) with an AWS::S3::Bucket CorsConfiguration
  --resource ID      with a template of several buckets: the logical id of the one to import
  --bucket NAME      read the bucket's configuration with the AWS SDK (GetBucketCors)
  --region REGION    the bucket's region (default: AWS_REGION, or us-east-1; S3 redirects)
  --config PATH      where to write the policy (default: ./cors.config.json)
  --force            write over an existing policy file
  --stdout           print the policy instead of writing it
  -h, --help         this text

An AllowedOrigin becomes policy entries when they match the same origins, and is refused, saying
what else it matches, when they cannot (https://*example.com also matches https://evilexample.com).
An AllowedOrigin "*" becomes a "*" rule, which answers * and never with credentials (S3 can answer
it with the caller's origin and credentials). Exit codes: 0 written, 1 refused (nothing written),
2 bad arguments.`,

  async run(argv, output) {
    const { values } = parseFlags(argv, {
      from: { type: 'string' },
      bucket: { type: 'string' },
      resource: { type: 'string' },
      region: { type: 'string' },
      config: { type: 'string' },
      force: { type: 'boolean' },
      stdout: { type: 'boolean' },
    });
    if (values.help) {
      output.out(this.usage);
      return 0;
    }
    if ((values.from === undefined) === (values.bucket === undefined)) throw new BadArguments('name the rules to import with --from FILE or --bucket NAME, one of the two');
    if (values.resource !== undefined && values.from === undefined) throw new BadArguments('--resource goes with --from TEMPLATE');
    if (values.region !== undefined && values.bucket === undefined) throw new BadArguments('--region goes with --bucket');
    if (values.stdout && (values.force || values.config !== undefined)) throw new BadArguments('--stdout writes no file: leave out --force and --config');
    const shown = values.config ?? 'cors.config.json';
    const target = writablePath('--config', shown);
    const checkTarget = () => {
      if (values.stdout) return;
      if (existsSync(target) && statSync(target).isDirectory()) throw new Refusal(`${shown} is a folder; name the policy file with --config PATH`);
      if (existsSync(target) && !values.force) throw new Refusal(`${shown} already exists; pass --force to replace it, or --stdout to print the policy`);
      if (!existsSync(dirname(target))) throw new Refusal(`${dirname(target)} does not exist; create the folder first`);
    };

    const { convertS3Rules, isTemplate, readS3Cors } = await import('../deploy/s3-cors.ts');
    let configuration;
    if (values.from !== undefined) {
      configuration = readS3Cors(readSource(values.from), values.from, values.resource);
      if (values.resource !== undefined && !isTemplate(configuration)) throw new BadArguments(`--resource names a bucket in a CloudFormation template, and ${values.from} is ${configuration.form}`);
      checkTarget();
    } else {
      checkTarget(); // before the bucket is read: nothing is fetched for a file that would be refused
      configuration = await bucketRules(values.bucket as string, values.region);
    }
    const { policy, notes } = convertS3Rules(configuration);
    for (const note of notes) output.err(`note: ${note}`);
    const count = `${policy.rules.length} rule${policy.rules.length === 1 ? '' : 's'}`;
    if (values.stdout) {
      output.out(JSON.stringify(policy, null, 2));
      return 0;
    }
    try {
      writeFileSync(target, `${JSON.stringify({ $schema: schemaReference(target), ...policy }, null, 2)}\n`);
    } catch (error) {
      throw new Refusal(`cannot write ${shown} (${(error as NodeJS.ErrnoException).code ?? String(error)}): name a file in a folder you can write with --config PATH, or use --stdout`);
    }
    output.out(`wrote ${shown}: ${count} from ${configuration.form}; check it with npx cloudfront-cors validate${values.config === undefined ? '' : ` --config ${JSON.stringify(values.config)}`}`);
    return 0;
  },
};

function readSource(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EISDIR') throw new Refusal(`${path} is a folder; name the file that holds the configuration`);
    throw new Refusal(`cannot read ${path} (${code ?? String(error)}): save the configuration there, e.g. aws s3api get-bucket-cors --bucket NAME > ${path}`);
  }
}

/** The bucket's rules through `GetBucketCors`, in the API's shape. */
async function bucketRules(bucket: string, region: string | undefined): Promise<import('../deploy/s3-cors.ts').S3CorsConfiguration> {
  const { GetBucketCorsCommand, S3Client } = await import('@aws-sdk/client-s3');
  // S3 answers a request to the wrong region with a redirect, which the client follows.
  const client = new S3Client({ region: region ?? process.env['AWS_REGION'] ?? 'us-east-1', followRegionRedirects: true });
  try {
    const answer = await client.send(new GetBucketCorsCommand({ Bucket: bucket }));
    const rules = answer.CORSRules ?? [];
    if (rules.length === 0) throw new Refusal(`bucket ${bucket} has no CORS rules: nothing to import; start from npx cloudfront-cors init`);
    const { fromApi } = await import('../deploy/s3-cors.ts');
    return fromApi(rules, `bucket ${bucket}`);
  } catch (error) {
    const name = (error as Error).name;
    if (name === 'NoSuchCORSConfiguration') throw new Refusal(`bucket ${bucket} has no CORS rules (NoSuchCORSConfiguration): nothing to import; start from npx cloudfront-cors init`);
    if (name === 'NoSuchBucket') throw new Refusal(`no bucket ${bucket} (NoSuchBucket): check the name`);
    if (name === 'AccessDenied' || name === 'Forbidden') throw new Refusal(`access denied reading the CORS rules of bucket ${bucket}: the credentials need s3:GetBucketCORS on arn:aws:s3:::${bucket}`);
    throw error;
  } finally {
    client.destroy();
  }
}
