/**
 * `npx cloudfront-cors origins list|add|remove|sync`: the origins in the CloudFront KeyValueStore
 * of a policy with `"originStore": "keyvaluestore"` (SPEC §10). A change takes effect at the edge
 * without a rebuild or redeploy. Exit codes: 0 done or nothing to do; 1 refused or failed; 2 bad
 * arguments.
 */
import { BadArguments, Refusal, parseFlags, type Command, type Output } from './command.ts';

const ACTIONS = ['list', 'add', 'remove', 'sync'] as const;
type Action = (typeof ACTIONS)[number];

export const originsCommand: Command = {
  name: 'origins',
  summary: 'list, add, remove or sync the origins in the KeyValueStore ("originStore")',
  usage: `usage: npx cloudfront-cors origins list|add ORIGIN…|remove ORIGIN…|sync --from FILE (--stack-name NAME | --kvs-arn ARN) [options]

The origins a policy with "originStore": "keyvaluestore" keeps in its CloudFront KeyValueStore.
The CloudFront Function reads them on each request: a change takes effect without a rebuild.

  list                   print the stored origins, one a line
  add ORIGIN…            store these origins (exact, or a wildcard like https://*.example.com)
  remove ORIGIN…         remove these origins
  sync --from FILE       make the store hold exactly the file's origins (one a line, or a JSON array);
                         a line "ORIGIN RULE-ID" (or { "origin": …, "rule": … }) names the rule it joins

  --stack-name NAME      the store of this stack (its KeyValueStoreArn output, us-east-1)
  --kvs-arn ARN          the store itself
  --rule ID              add: the origins join the policy's rule with this id (default: the first rule)
  --config PATH          the policy whose rule ids --rule and the file name (default: ./cors.config.json)
  --dry-run              print what would change and write nothing
  --json                 list: print a JSON array
  --allow-empty          sync: let a file with no origins empty the store (refused otherwise)
  -h, --help             this text

Every origin is checked as the policy's are before anything is written; a refused origin writes
nothing. Writes name the store's ETag and retry once on a concurrent change; a second identical
run writes nothing. Exit codes: 0 done or nothing to do, 1 refused or failed, 2 bad arguments.`,

  async run(argv, output) {
    const { values, positionals } = parseFlags(
      argv,
      {
        'stack-name': { type: 'string' },
        'kvs-arn': { type: 'string' },
        from: { type: 'string' },
        'dry-run': { type: 'boolean' },
        json: { type: 'boolean' },
        'allow-empty': { type: 'boolean' },
        rule: { type: 'string' },
        config: { type: 'string' },
      },
      true,
    );
    if (values.help) {
      output.out(this.usage);
      return 0;
    }
    const [action, ...origins] = positionals;
    if (action === undefined) throw new BadArguments(`name what to do: ${ACTIONS.join(', ')}`);
    if (!(ACTIONS as readonly string[]).includes(action)) throw new BadArguments(`unknown action "${action}"; the actions are ${ACTIONS.join(', ')}`);
    if ((action === 'add' || action === 'remove') && origins.length === 0) throw new BadArguments(`${action} takes one or more origins, e.g. origins ${action} https://app.example.com`);
    if ((action === 'list' || action === 'sync') && origins.length > 0) throw new BadArguments(`${action} takes no origins${action === 'sync' ? ' (it reads them from --from FILE)' : ''}`);
    if (action === 'sync' && values.from === undefined) throw new BadArguments('sync needs --from FILE: the origins the store must hold, one a line or a JSON array');
    if (action !== 'sync' && values.from !== undefined) throw new BadArguments('--from goes with sync only');
    if (action !== 'list' && values.json) throw new BadArguments('--json goes with list only');
    if (action !== 'sync' && values['allow-empty']) throw new BadArguments('--allow-empty goes with sync only');
    if (action !== 'add' && values.rule !== undefined) throw new BadArguments(`--rule goes with add only${action === 'sync' ? ' (sync reads each origin\'s rule from the file: "ORIGIN RULE-ID")' : ''}`);
    if ((values['stack-name'] === undefined) === (values['kvs-arn'] === undefined)) {
      throw new BadArguments('name the store with --stack-name NAME (its KeyValueStoreArn output) or --kvs-arn ARN, one of the two');
    }
    if (values['kvs-arn'] !== undefined && !/^arn:aws[\w-]*:cloudfront::\d{12}:key-value-store\/[\w-]+$/.test(values['kvs-arn'])) {
      throw new BadArguments(`--kvs-arn ${values['kvs-arn']}: not a KeyValueStore ARN, which looks like arn:aws:cloudfront::123456789012:key-value-store/<id>`);
    }
    // The SDK clients load only for the verb that calls them.
    const { storeEntriesOf, readOriginList, storeKey } = await import('../deploy/origin-list.ts');
    /** The keys to remove: each origin's canonical key, and the origin as written, for a key written by other means. */
    const removable = (list: string[]) =>
      [...new Set(list.flatMap((origin) => {
        const checked = storeKey(origin);
        return 'key' in checked ? [checked.key, origin] : [origin];
      }))];
    // Every origin is checked before the store is even read.
    const notes: string[] = [];
    let wanted: Map<string, string>;
    const config = values.config ?? 'cors.config.json';
    try {
      // `remove` takes a key as it is stored too, so one written by other means can be taken out.
      if (action === 'remove') wanted = new Map(removable(origins).map((key) => [key, '']));
      else {
        const listed = action === 'sync' ? readOriginList(values.from as string) : origins.map((origin) => ({ origin, ...(values.rule === undefined ? {} : { rule: values.rule }) }));
        wanted = storeEntriesOf(listed, notes);
        await checkRuleIds(wanted, config, values.config !== undefined);
      }
    } catch (error) {
      throw error instanceof Refusal ? new Refusal(`nothing written; ${error.message}`) : error;
    }
    if (action === 'sync' && wanted.size === 0 && !values['allow-empty']) {
      throw new Refusal(`nothing written; ${values.from} lists no origin, so sync would empty the store: pass --allow-empty if that is what you want`);
    }
    for (const note of notes) output.err(`note: ${note}`);
    const arn = values['kvs-arn'] ?? (await stackStore(values['stack-name'] as string));
    return runAction(action as Action, arn, wanted, values['dry-run'] === true, values.json === true, config, output);
  },
};

/**
 * The rules of the policy at `config`, by id, each saying whether a stored origin can join it (a
 * `"*"` rule cannot); `null` when there is no policy file to read and none was named.
 */
async function policyRuleIds(config: string, named: boolean): Promise<Map<string, boolean> | null> {
  const { existsSync } = await import('node:fs');
  if (!named && !existsSync(config)) return null;
  const { PolicyError, readPolicyFile } = await import('../build/policy-file.ts');
  const { policyRules } = await import('../functions/core/policy.ts');
  let policy;
  try {
    policy = readPolicyFile(config);
  } catch (error) {
    throw error instanceof PolicyError ? new Refusal(error.message) : error;
  }
  if (policy.originStore === undefined) throw new Refusal(`${config} keeps no origins in a store: add "originStore": "keyvaluestore" to it, or name the policy that does with --config PATH`);
  const ids = new Map<string, boolean>();
  for (const rule of policyRules(policy)) if (rule.id !== undefined) ids.set(rule.id, rule.allowOrigins[0] !== '*');
  return ids;
}

/** Refuses rule ids the policy does not have, or that name a `"*"` rule, before anything is written. */
async function checkRuleIds(entries: Map<string, string>, config: string, named: boolean): Promise<void> {
  const { STORED_VALUE } = await import('../functions/core/store.ts');
  const asked = [...new Set(entries.values())].filter((value) => value !== STORED_VALUE);
  if (asked.length === 0) return;
  const ids = await policyRuleIds(config, named);
  if (ids === null) throw new Refusal(`rule ${asked.map((id) => `"${id}"`).join(', ')} named, and there is no ${config} to check it against: pass the policy with --config PATH`);
  for (const id of asked) {
    if (ids.get(id) === true) continue;
    const known = [...ids].filter(([, joinable]) => joinable).map(([known]) => `"${known}"`);
    const why = ids.has(id) ? `is a "*" rule, which holds every origin already` : `is no rule id of ${config}`;
    const origins = [...entries].filter(([, value]) => value === id).map(([key]) => key);
    const listed = `${origins.slice(0, 3).join(', ')}${origins.length > 3 ? `, and ${origins.length - 3} more` : ''}`;
    throw new Refusal(`rule "${id}" (for ${listed}) ${why}; ${known.length > 0 ? `the rules a stored origin can join are ${known.join(', ')}` : `give the rule it should join an "id" in ${config}`}`);
  }
}

/** The store's ARN from the stack's `KeyValueStoreArn` output. */
async function stackStore(stackName: string): Promise<string> {
  const { stackOutputs } = await import('../deploy/distribution.ts');
  const arn = (await stackOutputs(stackName))['KeyValueStoreArn'];
  if (!arn) {
    throw new Refusal(`stack ${stackName} has no KeyValueStoreArn output: build with "originStore": "keyvaluestore" in the policy and deploy again, or pass --kvs-arn`);
  }
  return arn;
}

async function runAction(action: Action, arn: string, wanted: Map<string, string>, dryRun: boolean, json: boolean, config: string, output: Output): Promise<number> {
  const { OriginStore, printChange } = await import('../deploy/origin-store.ts');
  const { STORED_VALUE, ruleName, storeKey } = await import('../deploy/origin-list.ts');
  const store = new OriginStore(arn);
  try {
    if (action === 'list') {
      const { keys } = await store.read();
      const sorted = [...keys.keys()].sort();
      // What sync --from reads back: an origin alone joins the first rule, one with a rule names it.
      const listed = sorted.map((key) => (keys.get(key) === STORED_VALUE ? key : { origin: key, rule: keys.get(key) as string }));
      if (json) output.out(JSON.stringify(listed, null, 2));
      else for (const entry of listed) output.out(typeof entry === 'string' ? entry : `${entry.origin} ${entry.rule}`);
      // A key written by other means may be one the function never reads: say so, and how to fix it.
      for (const key of sorted) {
        const checked = storeKey(key);
        if ('problem' in checked) output.err(`warning: ${JSON.stringify(key)} is never allowed: ${checked.problem}; remove it with origins remove`);
        else if (checked.key !== key) output.err(`warning: ${JSON.stringify(key)} is never read as written: the function looks up "${checked.key}"; add that and remove this`);
      }
      // With rules, a value that names no rule the origin can join allows it nowhere.
      // (A policy without rule ids reads every value as its one rule, as before rules.)
      const ids = await policyRuleIds(config, false).catch(() => null);
      if (ids !== null && ids.size > 0) {
        for (const key of sorted) {
          const value = keys.get(key) as string;
          if (value !== STORED_VALUE && value !== '' && ids.get(value) !== true) output.err(`warning: ${JSON.stringify(key)} names ${ruleName(value)}, which ${config} has no rule to join: the function allows it nowhere; add it again with --rule`);
        }
      }
      return 0;
    }
    const change = await store.apply(({ keys }) => {
      const puts = new Map([...wanted].filter(([key, value]) => keys.get(key) !== value));
      if (action === 'add') return { puts, deletes: [] };
      if (action === 'remove') return { puts: new Map(), deletes: [...wanted.keys()].filter((key) => keys.has(key)) };
      return { puts, deletes: [...keys.keys()].filter((key) => !wanted.has(key)) };
    }, dryRun);
    const count = change.puts.size + change.deletes.length;
    if (count === 0) {
      output.out('nothing to change: the store already holds what was asked');
      return 0;
    }
    printChange(change, output);
    output.out(dryRun ? `dry run: ${count} change${count === 1 ? '' : 's'}, nothing written` : `${count} change${count === 1 ? '' : 's'} written; CloudFront copies them to its edge locations, no redeploy needed`);
    return 0;
  } catch (error) {
    const name = (error as Error).name;
    if (name === 'ResourceNotFoundException') throw new Refusal(`no KeyValueStore ${arn}: check --kvs-arn, or that the stack was deployed with "originStore"`);
    throw error;
  }
}
