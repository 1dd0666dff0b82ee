/**
 * Lists of origins for a KeyValueStore (SPEC §10): read from a file (`origins sync --from`, `dev
 * --kvs`, the testing helpers) and checked as the policy's entries are. No AWS SDK here: the local
 * edge and the testing helpers use it too.
 */
import { readFileSync } from 'node:fs';
import { storeKey } from '../build/policy-file.ts';

export { storeKey };
import { Refusal } from '../cli/command.ts';

import { STORED_VALUE } from '../functions/core/store.ts';

export { STORED_VALUE };

/** An origin for the store, and the `id` of the rule it joins (SPEC §11; the first rule when none). */
export interface StoredOrigin {
  origin: unknown;
  rule?: string;
}

/**
 * Checks origins for the store (SPEC §1 and §10) and returns what to store: each canonical key, in
 * order, with the rule it joins as its value ({@link STORED_VALUE} for the first rule). Every
 * origin is checked before anything is written: one refused origin refuses all.
 *
 * @param notes collects what was rewritten rather than refused
 * @throws Refusal naming every refused origin and why
 */
export function storeEntriesOf(origins: readonly StoredOrigin[], notes: string[] = []): Map<string, string> {
  const problems: string[] = [];
  const entries = new Map<string, string>();
  for (const { origin, rule } of origins) {
    const checked = storeKey(origin);
    if ('problem' in checked) {
      problems.push(`${JSON.stringify(origin)}: ${checked.problem}`);
      continue;
    }
    if (checked.rewritten !== undefined) notes.push(`${JSON.stringify(origin)} is sent by browsers as "${checked.key}" (${checked.rewritten}); stored as that`);
    const value = rule ?? STORED_VALUE;
    const earlier = entries.get(checked.key);
    if (earlier !== undefined && earlier !== value) problems.push(`${JSON.stringify(origin)}: listed for two rules, ${ruleName(earlier)} and ${ruleName(value)}; keep one`);
    else entries.set(checked.key, value);
  }
  if (problems.length > 0) throw new Refusal(`${problems.length === 1 ? 'an origin is' : `${problems.length} origins are`} refused:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  return entries;
}

/** How a stored value reads in a message: the rule it names. */
export function ruleName(value: string): string {
  return value === STORED_VALUE ? 'the first rule' : `rule "${value}"`;
}

/**
 * Reads a list of origins from a file: a JSON array, or one origin a line (blank lines and lines
 * starting with `#` skipped). An origin may name the rule it joins (SPEC §11): a line
 * `https://shop.example.net writers`, or `{ "origin": "https://shop.example.net", "rule": "writers" }`
 * in the array. The origins are returned as written; check them with {@link storeEntriesOf}.
 * Synchronous: the file is small, and a store re-reads it between requests.
 *
 * @throws Refusal when the file cannot be read or is neither form
 */
export function readOriginList(path: string): StoredOrigin[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Refusal(`cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? String(error)}): it should list the origins, one a line or as a JSON array`);
  }
  return parseOriginList(text, path);
}

/** {@link readOriginList} on text already read. */
export function parseOriginList(text: string, source: string): StoredOrigin[] {
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
    const isEntry = (item: unknown) =>
      typeof item === 'string' || (item !== null && typeof item === 'object' && typeof (item as StoredOrigin).origin === 'string' && isRuleEntry(item as Record<string, unknown>));
    const example = 'e.g. ["https://app.example.com", { "origin": "https://shop.example.net", "rule": "writers" }]';
    if (!Array.isArray(parsed)) throw new Refusal(`${source} must be a JSON array of origins, each a string or { "origin": …, "rule": … }, ${example}`);
    const bad = parsed.findIndex((item) => !isEntry(item));
    if (bad >= 0) {
      throw new Refusal(`${source}: item ${bad}, ${JSON.stringify(parsed[bad])}, is neither an origin string nor { "origin": "…", "rule": "…" } with those two keys only; ${example}`);
    }
    return parsed.map((item) => (typeof item === 'string' ? { origin: item } : (item as StoredOrigin)));
  }
  const entries: StoredOrigin[] = [];
  for (const line of body.split(/\r?\n/)) {
    const words = line.trim().split(/\s+/);
    if (words[0] === '' || (words[0] as string).startsWith('#')) continue;
    if (words.length > 2) throw new Refusal(`${source}: "${line.trim()}": write one origin a line, and after it at most the id of the rule it joins`);
    entries.push(words.length === 2 ? { origin: words[0], rule: words[1] as string } : { origin: words[0] });
  }
  return entries;
}

/** `{ "origin": "…" }` or `{ "origin": "…", "rule": "…" }`, nothing else. */
function isRuleEntry(item: Record<string, unknown>): boolean {
  const keys = Object.keys(item);
  return keys.every((key) => key === 'origin' || key === 'rule') && (item['rule'] === undefined || typeof item['rule'] === 'string');
}
