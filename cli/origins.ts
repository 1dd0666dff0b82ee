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
  sync --from FILE       make the store hold exactly the file's origins (one a line, or a JSON array)

  --stack-name NAME      the store of this stack (its KeyValueStoreArn output, us-east-1)
  --kvs-arn ARN          the store itself
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
    if ((values['stack-name'] === undefined) === (values['kvs-arn'] === undefined)) {
      throw new BadArguments('name the store with --stack-name NAME (its KeyValueStoreArn output) or --kvs-arn ARN, one of the two');
    }
    if (values['kvs-arn'] !== undefined && !/^arn:aws[\w-]*:cloudfront::\d{12}:key-value-store\/[\w-]+$/.test(values['kvs-arn'])) {
      throw new BadArguments(`--kvs-arn ${values['kvs-arn']}: not a KeyValueStore ARN, which looks like arn:aws:cloudfront::123456789012:key-value-store/<id>`);
    }
    // The SDK clients load only for the verb that calls them.
    const { storeKeysOf, readOriginList, storeKey } = await import('../deploy/origin-list.ts');
    /** The keys to remove: each origin's canonical key, and the origin as written, for a key written by other means. */
    const removable = (list: string[]) =>
      [...new Set(list.flatMap((origin) => {
        const checked = storeKey(origin);
        return 'key' in checked ? [checked.key, origin] : [origin];
      }))];
    // Every origin is checked before the store is even read.
    const notes: string[] = [];
    let wanted: string[];
    try {
      // `remove` takes a key as it is stored too, so one written by other means can be taken out.
      wanted = action === 'sync' ? storeKeysOf(readOriginList(values.from as string), notes) : action === 'remove' ? removable(origins) : storeKeysOf(origins, notes);
    } catch (error) {
      throw error instanceof Refusal ? new Refusal(`nothing written; ${error.message}`) : error;
    }
    if (action === 'sync' && wanted.length === 0 && !values['allow-empty']) {
      throw new Refusal(`nothing written; ${values.from} lists no origin, so sync would empty the store: pass --allow-empty if that is what you want`);
    }
    for (const note of notes) output.err(`note: ${note}`);
    const arn = values['kvs-arn'] ?? (await stackStore(values['stack-name'] as string));
    return runAction(action as Action, arn, wanted, values['dry-run'] === true, values.json === true, output);
  },
};

/** The store's ARN from the stack's `KeyValueStoreArn` output. */
async function stackStore(stackName: string): Promise<string> {
  const { stackOutputs } = await import('../deploy/distribution.ts');
  const arn = (await stackOutputs(stackName))['KeyValueStoreArn'];
  if (!arn) {
    throw new Refusal(`stack ${stackName} has no KeyValueStoreArn output: build with "originStore": "keyvaluestore" in the policy and deploy again, or pass --kvs-arn`);
  }
  return arn;
}

async function runAction(action: Action, arn: string, wanted: string[], dryRun: boolean, json: boolean, output: Output): Promise<number> {
  const { OriginStore, STORED_VALUE, printChange } = await import('../deploy/origin-store.ts');
  const { storeKey } = await import('../deploy/origin-list.ts');
  const store = new OriginStore(arn);
  try {
    if (action === 'list') {
      const { keys } = await store.read();
      const sorted = [...keys.keys()].sort();
      if (json) output.out(JSON.stringify(sorted, null, 2));
      else for (const key of sorted) output.out(key);
      // A key written by other means may be one the function never reads: say so, and how to fix it.
      for (const key of sorted) {
        const checked = storeKey(key);
        if ('problem' in checked) output.err(`warning: ${JSON.stringify(key)} is never allowed: ${checked.problem}; remove it with origins remove`);
        else if (checked.key !== key) output.err(`warning: ${JSON.stringify(key)} is never read as written: the function looks up "${checked.key}"; add that and remove this`);
      }
      return 0;
    }
    const change = await store.apply(({ keys }) => {
      if (action === 'add') return { puts: new Map(wanted.filter((key) => !keys.has(key)).map((key) => [key, STORED_VALUE])), deletes: [] };
      if (action === 'remove') return { puts: new Map(), deletes: wanted.filter((key) => keys.has(key)) };
      return { puts: new Map(wanted.filter((key) => !keys.has(key)).map((key) => [key, STORED_VALUE])), deletes: [...keys.keys()].filter((key) => !wanted.includes(key)) };
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
