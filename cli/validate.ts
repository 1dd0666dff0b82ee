/**
 * `npx cloudfront-cors validate`: checks a policy and writes nothing (SPEC §9). Exit 0 with a
 * summary, or 1 with every refusal of SPEC §1.
 */
import { resolve } from 'node:path';
import { readPolicyFile } from '../build/policy-file.ts';
import type { CorsRule } from '../functions/core/policy.ts';
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
    const summary = (rule: CorsRule, store: boolean) => {
      const inlined = `${rule.allowOrigins.length} origin${rule.allowOrigins.length === 1 ? '' : 's'}`;
      const origins = rule.allowOrigins[0] === '*' ? 'any origin ("*")' : store ? `${inlined}, and those in its KeyValueStore` : inlined;
      return `${origins}; methods ${rule.allowMethods.join(', ')}; credentials ${rule.allowCredentials ? 'yes' : 'no'}`;
    };
    if (policy.rules === undefined) {
      output.out(`${config}: valid: ${summary(policy, policy.originStore !== undefined)}; preflights answered at the ${policy.preflight}`);
    } else {
      const store = policy.originStore === undefined ? '' : ', stored origins in the rule their value names (the first by default)';
      const count = policy.rules.length === 1 ? '1 rule' : `${policy.rules.length} rules, the first that matches a request decides`;
      output.out(`${config}: valid: ${count}${store}; preflights answered at the ${policy.preflight}`);
      policy.rules.forEach((rule, index) => output.out(`  rules[${index}]${rule.id === undefined ? '' : ` (${rule.id})`}: ${summary(rule, false)}`));
    }
    return 0;
  },
};
