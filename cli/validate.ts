/**
 * `npx cloudfront-cors validate`: checks a policy and writes nothing (SPEC §9). Exit 0 with a
 * summary, or 1 with every refusal of SPEC §1.
 */
import { resolve } from 'node:path';
import { readPolicyFile } from '../build/policy-file.ts';
import { parseFlags, type Command } from './command.ts';

export const validateCommand: Command = {
  name: 'validate',
  summary: 'check the policy and write nothing',
  usage: `usage: npx cloudfront-cors validate [--config PATH]

Checks the policy as the build would, and writes nothing. Exit 0 when it builds, 1 with every
reason it is refused.

  --config PATH   policy file (default: ./cors.config.json)`,

  async run(argv, output) {
    const { values } = parseFlags(argv, { config: { type: 'string' } });
    if (values.help) {
      output.out(this.usage);
      return 0;
    }
    const config = values.config ?? 'cors.config.json';
    const notes: string[] = [];
    const policy = readPolicyFile(resolve(config), notes, config);
    for (const note of notes) output.err(`note: ${note}`);
    const inlined = `${policy.allowOrigins.length} origin${policy.allowOrigins.length === 1 ? '' : 's'}`;
    const origins = policy.allowOrigins[0] === '*' ? 'any origin ("*")' : policy.originStore ? `${inlined}, and those in its KeyValueStore` : inlined;
    output.out(
      `${config}: valid: ${origins}; methods ${policy.allowMethods.join(', ')}; credentials ${policy.allowCredentials ? 'yes' : 'no'}; ` +
        `preflights answered at the ${policy.preflight}`,
    );
    return 0;
  },
};
