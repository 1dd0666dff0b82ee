/**
 * The origins in a CloudFront KeyValueStore (SPEC §10), read and changed through the AWS SDK's
 * data-plane client, `@aws-sdk/client-cloudfront-keyvaluestore`. That client signs with SigV4A
 * only, hence the import of `@aws-sdk/signature-v4a`: without it every call fails with "Neither
 * CRT nor JS SigV4a implementation is available".
 *
 * Every write names the store's ETag (`IfMatch`) and puts or deletes at most
 * {@link KEYS_PER_UPDATE} keys; a write that meets a concurrent change (`ConflictException`) reads
 * the store again and tries once more. What is already so is never written.
 */
import '@aws-sdk/signature-v4a';
import {
  CloudFrontKeyValueStoreClient,
  ConflictException,
  DescribeKeyValueStoreCommand,
  ListKeysCommand,
  UpdateKeysCommand,
  type CloudFrontKeyValueStoreClientConfig,
} from '@aws-sdk/client-cloudfront-keyvaluestore';
import { Refusal, type Output } from '../cli/command.ts';
import { STORED_VALUE, ruleName } from './origin-list.ts';

export { STORED_VALUE };

/** The most keys one `UpdateKeys` call may put and delete together. */
export const KEYS_PER_UPDATE = 50;

/** What the store holds: keys and their values, and the version the next write must name. */
export interface StoreState {
  etag: string;
  keys: Map<string, string>;
}

/** A change to the store: keys to put (with their values) and keys to delete. */
export interface StoreChange {
  puts: Map<string, string>;
  deletes: string[];
}

/** A store, as the `origins` command reaches it. */
export class OriginStore {
  private readonly client: CloudFrontKeyValueStoreClient;

  constructor(
    readonly arn: string,
    config: CloudFrontKeyValueStoreClientConfig = {},
  ) {
    // The data plane is global; us-east-1 is where its signing scope and every endpoint rule start.
    this.client = new CloudFrontKeyValueStoreClient({ region: 'us-east-1', ...config });
  }

  /** Reads every key (all pages) and the ETag the next write must name. */
  async read(): Promise<StoreState> {
    const described = await this.client.send(new DescribeKeyValueStoreCommand({ KvsARN: this.arn }));
    const keys = new Map<string, string>();
    let token: string | undefined;
    do {
      const page = await this.client.send(new ListKeysCommand({ KvsARN: this.arn, MaxResults: 50, NextToken: token }));
      for (const item of page.Items ?? []) if (item.Key !== undefined) keys.set(item.Key, item.Value ?? '');
      token = page.NextToken;
    } while (token);
    return { etag: described.ETag as string, keys };
  }

  /**
   * Applies the change `plan` computes from what the store holds, in batches, naming the ETag. On a
   * concurrent change it reads the store again, plans again and tries once more.
   *
   * @returns the change written (empty when the store already held what was asked)
   */
  async apply(plan: (state: StoreState) => StoreChange, dryRun: boolean): Promise<StoreChange> {
    for (let attempt = 0; ; attempt++) {
      const state = await this.read();
      const change = plan(state);
      if (dryRun || isEmpty(change)) return change;
      try {
        let etag = state.etag;
        for (const batch of batches(change)) {
          const written = await this.client.send(
            new UpdateKeysCommand({
              KvsARN: this.arn,
              IfMatch: etag,
              Puts: [...batch.puts].map(([Key, Value]) => ({ Key, Value })),
              Deletes: batch.deletes.map((Key) => ({ Key })),
            }),
          );
          etag = written.ETag as string;
        }
        return change;
      } catch (error) {
        if (!(error instanceof ConflictException) || attempt > 0) {
          if (error instanceof ConflictException) {
            throw new Refusal(`the store changed twice while this command wrote to it (ConflictException); run it again`);
          }
          throw error;
        }
      }
    }
  }
}

function isEmpty(change: StoreChange): boolean {
  return change.puts.size === 0 && change.deletes.length === 0;
}

/** The change cut into calls of at most {@link KEYS_PER_UPDATE} keys: deletes first, then puts. */
export function batches(change: StoreChange): StoreChange[] {
  const items: Array<[string, string | undefined]> = [...change.deletes.map((key): [string, undefined] => [key, undefined]), ...change.puts];
  const result: StoreChange[] = [];
  for (let i = 0; i < items.length; i += KEYS_PER_UPDATE) {
    const batch: StoreChange = { puts: new Map(), deletes: [] };
    for (const [key, value] of items.slice(i, i + KEYS_PER_UPDATE)) {
      if (value === undefined) batch.deletes.push(key);
      else batch.puts.set(key, value);
    }
    result.push(batch);
  }
  return result;
}

/** Prints a change as `+ origin` and `- origin` lines, sorted; a put names its rule when it is not the first. */
export function printChange(change: StoreChange, output: Output): void {
  for (const key of [...change.deletes].sort()) output.out(`- ${key}`);
  for (const key of [...change.puts.keys()].sort()) {
    const value = change.puts.get(key) as string;
    output.out(value === STORED_VALUE ? `+ ${key}` : `+ ${key} (${ruleName(value)})`);
  }
}
