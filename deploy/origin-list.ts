/**
 * Lists of origins for a KeyValueStore (SPEC §10): read from a file (`origins sync --from`, `dev
 * --kvs`, the testing helpers) and checked as the policy's entries are. No AWS SDK here: the local
 * edge and the testing helpers use it too.
 */
import { readFileSync } from 'node:fs';
import { storeKey } from '../build/policy-file.ts';

export { storeKey };
import { Refusal } from '../cli/command.ts';

export { STORED_VALUE } from '../functions/core/store.ts';

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
  if (problems.length > 0) throw new Refusal(`${problems.length === 1 ? 'an origin is' : `${problems.length} origins are`} refused:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  return keys;
}

/**
 * Reads a list of origins from a file: a JSON array of strings, or one origin a line (blank lines
 * and lines starting with `#` skipped). The origins are returned as written; check them with
 * {@link storeKeysOf}. Synchronous: the file is small, and a store re-reads it between requests.
 *
 * @throws Refusal when the file cannot be read or is neither form
 */
export function readOriginList(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Refusal(`cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? String(error)}): it should list the origins, one a line or as a JSON array`);
  }
  return parseOriginList(text, path);
}

/** {@link readOriginList} on text already read. */
export function parseOriginList(text: string, source: string): string[] {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.trimStart().startsWith('{')) {
    throw new Refusal(`${source} holds a JSON object; write a JSON array of origins, e.g. ["https://app.example.com"], or one origin a line`);
  }
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
