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
import { readFile } from 'node:fs/promises';
import {
  CloudFrontKeyValueStoreClient,
  ConflictException,
  DescribeKeyValueStoreCommand,
  ListKeysCommand,
  UpdateKeysCommand,
  type CloudFrontKeyValueStoreClientConfig,
} from '@aws-sdk/client-cloudfront-keyvaluestore';
import { storeKey } from '../build/policy-file.ts';
import { Refusal, type Output } from '../cli/command.ts';

/** The most keys one `UpdateKeys` call may put and delete together. */
export const KEYS_PER_UPDATE = 50;

/** The value stored with each origin. The function reads whether a key exists, never its value. */
export const STORED_VALUE = 'allowed';

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

/**
 * Checks origins for the store (SPEC §1 and §10) and returns their keys, in order, without
 * repeats. Every origin is checked before anything is written: one refused origin refuses all.
 *
 * @param notes collects what was rewritten rather than refused
 * @throws Refusal naming every refused origin and why
 */
export function storeKeysOf(origins: readonly unknown[], notes: string[] = []): string[] {
  const problems: string[] = [];
  const keys: string[] = [];
  for (const origin of origins) {
    const checked = storeKey(origin);
    if ('problem' in checked) problems.push(`${JSON.stringify(origin)}: ${checked.problem}`);
    else {
      if (checked.rewritten !== undefined) notes.push(`${JSON.stringify(origin)} is sent by browsers as "${checked.key}" (${checked.rewritten}); stored as that`);
      if (!keys.includes(checked.key)) keys.push(checked.key);
    }
  }
  if (problems.length > 0) throw new Refusal(`nothing written; ${problems.length === 1 ? 'an origin is' : `${problems.length} origins are`} refused:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  return keys;
}

/**
 * Reads a list of origins from a file: a JSON array of strings, or one origin a line (blank lines
 * and lines starting with `#` skipped). The origins are returned as written; check them with
 * {@link storeKeysOf}.
 *
 * @throws Refusal when the file cannot be read or is neither form
 */
export async function readOriginList(path: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new Refusal(`cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? String(error)}): it should list the origins, one a line or as a JSON array`);
  }
  return parseOriginList(text, path);
}

/** {@link readOriginList} on text already read. */
export function parseOriginList(text: string, source: string): string[] {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.trimStart().startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch (error) {
      throw new Refusal(`${source} starts like a JSON array but is not one (${(error as Error).message}); write a JSON array of origins, or one origin a line`);
    }
    if (!Array.isArray(parsed) || parsed.some((item) => typeof item !== 'string')) {
      throw new Refusal(`${source} must be a JSON array of origin strings, e.g. ["https://app.example.com"]`);
    }
    return parsed as string[];
  }
  return body
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

/** Prints a change as `+ origin` and `- origin` lines, sorted. */
export function printChange(change: StoreChange, output: Output): void {
  for (const key of [...change.deletes].sort()) output.out(`- ${key}`);
  for (const key of [...change.puts.keys()].sort()) output.out(`+ ${key}`);
}
