/**
 * Public suffixes beneath a domain (SPEC §1): `https://*.amazonaws.com` is refused because
 * `s3.amazonaws.com` is a public suffix under it, so anyone may own `attacker.s3.amazonaws.com`.
 *
 * tldts answers "what is this host's public suffix", which catches a wildcard directly over a
 * suffix (`*.co.uk`, `*.github.io`), but has no call for "is there a suffix below this domain".
 * Its Public Suffix List, ICANN and private sections, ships as a trie of labels read right to
 * left; this walks that trie. It is tldts's internal data, so its shape is checked when loaded and
 * against rules known to be on the list: a tldts that lays it out otherwise fails the build with a
 * message, never with a wrong answer.
 */
import { createRequire } from 'node:module';

/** The trie as tldts 7.5 ships it in `dist/cjs/src/data/trie.js`. */
interface SuffixTrie {
  /** Per node: which section's rule ends here (0 none, 1 ICANN, 2 private). */
  nodeFlags: Uint8Array;
  /** Per node: its first edge; edges of node n are edgeStart[n] … edgeStart[n + 1] - 1. */
  edgeStart: Uint16Array | Uint32Array;
  /** Per edge: its label's length in `labelText`, where labels follow each other in edge order. */
  edgeLength: Uint8Array;
  /** Per edge: the node it leads to. */
  edgeChild: Uint16Array | Uint32Array;
  labelText: string;
  rulesRoot: number;
}

interface LoadedTrie extends SuffixTrie {
  /** Per edge: where its label starts in `labelText`. */
  edgeOffset: Uint32Array;
}

let loaded: LoadedTrie | undefined;

/** Domains the list has held rules beneath for years, and one it never will. */
const KNOWN_BENEATH = ['amazonaws.com', 'uk'];
const KNOWN_CLEAR = 'example.com';

function trie(): LoadedTrie {
  if (loaded !== undefined) return loaded;
  let data: Partial<SuffixTrie>;
  try {
    data = createRequire(import.meta.url)('tldts/dist/cjs/src/data/trie.js') as Partial<SuffixTrie>;
  } catch (error) {
    throw new Error(`cannot read the Public Suffix List from tldts (${(error as Error).message}); reinstall with npm ci`);
  }
  const { nodeFlags, edgeStart, edgeLength, edgeChild, labelText, rulesRoot } = data;
  if (
    !(nodeFlags instanceof Uint8Array) ||
    !ArrayBuffer.isView(edgeStart) ||
    !(edgeLength instanceof Uint8Array) ||
    !ArrayBuffer.isView(edgeChild) ||
    typeof labelText !== 'string' ||
    typeof rulesRoot !== 'number'
  ) {
    throw new Error('the installed tldts lays out its Public Suffix List in a way this version of cloudfront-cors does not know; install the tldts version in its package.json');
  }
  const edgeOffset = new Uint32Array(edgeLength.length);
  for (let edge = 0, offset = 0; edge < edgeLength.length; edge++) {
    edgeOffset[edge] = offset;
    offset += edgeLength[edge] as number;
  }
  loaded = { nodeFlags, edgeStart: edgeStart as Uint32Array, edgeLength, edgeChild: edgeChild as Uint32Array, labelText, rulesRoot, edgeOffset };
  const wrong = KNOWN_BENEATH.find((domain) => !publicSuffixBeneath(domain)?.endsWith(`.${domain}`)) ?? (publicSuffixBeneath(KNOWN_CLEAR) === null ? undefined : KNOWN_CLEAR);
  if (wrong !== undefined) {
    loaded = undefined;
    throw new Error(`tldts's Public Suffix List reads wrongly (checked at ${wrong}); install the tldts version in cloudfront-cors's package.json`);
  }
  return loaded;
}

function label(data: LoadedTrie, edge: number): string {
  const start = data.edgeOffset[edge] as number;
  return data.labelText.slice(start, start + (data.edgeLength[edge] as number));
}

/** The child of `node` along `name`, or along a `*` edge when there is none; -1 when neither. */
function child(data: LoadedTrie, node: number, name: string): number {
  let wildcard = -1;
  for (let edge = data.edgeStart[node] as number; edge < (data.edgeStart[node + 1] as number); edge++) {
    const text = label(data, edge);
    if (text === name) return data.edgeChild[edge] as number;
    if (text === '*') wildcard = data.edgeChild[edge] as number;
  }
  return wildcard;
}

/**
 * Returns a public suffix strictly beneath `domain` (a rule of either section of the list that
 * ends in `.domain`), or `null` when there is none. A wildcard rule is shown as written (`*.x.y`).
 *
 * @example publicSuffixBeneath('amazonaws.com') // e.g. 's3.amazonaws.com'
 * @example publicSuffixBeneath('example.com')   // null
 */
export function publicSuffixBeneath(domain: string): string | null {
  const data = trie();
  const labels = domain.toLowerCase().split('.');
  let node = data.rulesRoot;
  for (let i = labels.length - 1; i >= 0 && node >= 0; i--) node = child(data, node, labels[i] as string);
  if (node < 0) return null;
  // Every path below a node ends in a rule, so the first path down names one.
  const below: string[] = [];
  while ((data.edgeStart[node + 1] as number) > (data.edgeStart[node] as number)) {
    const edge = data.edgeStart[node] as number;
    below.unshift(label(data, edge));
    node = data.edgeChild[edge] as number;
    if ((data.nodeFlags[node] as number) !== 0) return `${below.join('.')}.${domain}`;
  }
  return null;
}
