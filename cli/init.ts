/**
 * `npx cloudfront-cors init`: writes a starter `./cors.config.json` whose `$schema` points at the
 * schema inside the installed package, so editors complete and check it (SPEC §9). Never
 * overwrites a file: an existing one is refused with exit 1.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { ROOT } from '../build/build.ts';
import { parseFlags, Refusal, writablePath, type Command } from './command.ts';

/** The starter policy: one origin to replace, the defaults written out so they can be edited. */
const STARTER = {
  allowOrigins: ['https://app.example.com'],
  allowMethods: ['GET', 'HEAD'],
  allowHeaders: [],
  exposeHeaders: [],
  allowCredentials: false,
  maxAge: 600,
  preflight: 'edge',
};

export const initCommand: Command = {
  name: 'init',
  summary: 'write a starter ./cors.config.json',
  usage: `usage: npx cloudfront-cors init [--config PATH]

Writes a starter policy whose "$schema" is the schema in the installed package, so editors complete
it. Refuses to overwrite an existing file.

  --config PATH   where to write it (default: ./cors.config.json)`,

  async run(argv, output) {
    const { values } = parseFlags(argv, { config: { type: 'string' } });
    if (values.help) {
      output.out(this.usage);
      return 0;
    }
    const target = writablePath('--config', values.config ?? 'cors.config.json');
    if (existsSync(target)) {
      throw new Refusal(`${values.config ?? 'cors.config.json'} already exists; edit it, or remove it first to start again`);
    }
    if (!existsSync(dirname(target))) throw new Refusal(`${dirname(target)} does not exist; create the folder first`);
    const policy = { $schema: schemaReference(target), ...STARTER };
    writeFileSync(target, `${JSON.stringify(policy, null, 2)}\n`, { flag: 'wx' });
    const next = values.config === undefined ? 'npx cloudfront-cors build' : `npx cloudfront-cors build --config ${JSON.stringify(values.config)}`;
    output.out(`wrote ${values.config ?? 'cors.config.json'}: list your origins in allowOrigins, then ${next}`);
    return 0;
  },
};

/** The `$schema` of a policy written at `target`: the schema in the installed package, relative to the file. */
export function schemaReference(target: string): string {
  const schema = relative(dirname(target), join(ROOT, 'cors.config.schema.json')).split(sep).join('/');
  return schema.startsWith('.') ? schema : `./${schema}`;
}
