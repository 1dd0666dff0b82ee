/**
 * `npx cloudfront-cors dev`: a local CloudFront on 127.0.0.1 running the built functions in
 * CloudFront's order, in front of a folder served like S3 (or any URL), with a demo page served
 * from two origins. Runs until interrupted; nothing it builds stays on disk.
 */
import { statSync } from 'node:fs';
import { PortInUse, startDev } from '../dev/server.ts';
import { BadArguments, oneOf, parseFlags, Refusal, type Command } from './command.ts';

export const devCommand: Command = {
  name: 'dev',
  summary: 'a local CloudFront running the built functions, with a demo page on two origins',
  usage: `usage: npx cloudfront-cors dev [options]

Runs the built functions in a local CloudFront on 127.0.0.1, in CloudFront's order (viewer request,
cache keyed like the template's cache policy, origin, origin response), with a demo page served from
two origins that reads through it. The demo's origins are added to your policy for this run only.

  --config PATH                   policy file (default: ./cors.config.json)
  --viewer function|lambda        the viewer-request flavour (default: function)
  --origin URL                    proxy to this origin (default: serve --bucket like S3)
  --bucket DIR                    folder served like an S3 bucket whose CORS rule allows * (default: the package's demo bucket)
  --port N                        edge port (default: 8080; 0 picks one)
  --demo-port N                   demo page port (default: 3030; 0 picks one)
  --kvs FILE                      with "originStore": the origins the KeyValueStore holds, one a line or
                                  a JSON array; read again when it changes, so an edit takes effect live
  --no-functions                  a distribution without cloudfront-cors, to see the failure it fixes`,

  async run(argv, output) {
    const { values } = parseFlags(argv, {
      config: { type: 'string' },
      viewer: { type: 'string' },
      origin: { type: 'string' },
      bucket: { type: 'string' },
      port: { type: 'string' },
      'demo-port': { type: 'string' },
      'no-functions': { type: 'boolean' },
      kvs: { type: 'string' },
    });
    if (values.help) {
      output.out(this.usage);
      return 0;
    }
    const viewer = oneOf('--viewer', values.viewer, ['function', 'lambda'] as const) ?? 'function';
    if (values.origin !== undefined && !/^https?:$/.test(urlProtocol(values.origin))) {
      throw new BadArguments(`--origin ${JSON.stringify(values.origin)}: an http:// or https:// URL, e.g. https://api.example.com`);
    }
    if (values.bucket !== undefined && !statSync(values.bucket, { throwIfNoEntry: false })?.isDirectory()) {
      throw new Refusal(`--bucket ${values.bucket}: no such folder; name a folder to serve like an S3 bucket`);
    }
    if (values.kvs !== undefined && !statSync(values.kvs, { throwIfNoEntry: false })?.isFile()) {
      throw new Refusal(`--kvs ${values.kvs}: no such file; write the store's origins there, one a line or as a JSON array`);
    }
    const port = portFlag('--port', values.port, 8080);
    const demoPort = portFlag('--demo-port', values['demo-port'], 3030);
    let server;
    try {
      server = await startDev({
        config: values.config,
        viewer: viewer === 'lambda' ? 'lambda-edge' : 'cloudfront-functions',
        noFunctions: values['no-functions'] === true,
        origin: values.origin,
        bucket: values.bucket,
        port,
        demoPort,
        ...(values.kvs === undefined ? {} : { kvs: values.kvs, onStoreProblem: (message: string) => output.err(`warning: ${message}`) }),
      });
    } catch (error) {
      if (error instanceof PortInUse) throw new Refusal(`${error.message}; pick another with --port N and --demo-port N (0 picks a free one)`);
      throw error;
    }
    output.out(`local edge:  ${server.edgeUrl}  (${values['no-functions'] ? 'without cloudfront-cors' : `viewer request: ${viewer === 'lambda' ? 'Lambda@Edge' : 'CloudFront Function'}`})`);
    output.out(`origin:      ${values.origin ?? `${values.bucket ?? 'the demo bucket'}, served like S3 with AllowedOrigin *`}`);
    output.out(`demo page:   ${server.demoUrls[0]}  and  ${server.demoUrls[1]}  (two origins, one cache)`);
    if (values.kvs !== undefined) output.out(`store:       ${values.kvs}, read again when it changes`);
    output.out('Ctrl-C stops.');
    await new Promise<void>((done) => {
      process.once('SIGINT', done);
      process.once('SIGTERM', done);
    });
    await server.close();
    return 0;
  },
};

function portFlag(flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) throw new BadArguments(`${flag} takes a port number from 0 to 65535, not "${value}"`);
  return port;
}

function urlProtocol(value: string): string {
  try {
    return new URL(value).protocol;
  } catch {
    return '';
  }
}
