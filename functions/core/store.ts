/**
 * Origins kept in a CloudFront KeyValueStore (SPEC §10): which keys one request's `Origin` is
 * looked up under. A key is an allowlist entry in the canonical text validation writes:
 * `https://app.example.com`, `http://localhost:3000`, `https://*.preview.example.com`.
 *
 * The number of keys is bounded whatever the request sends: the origin itself, then one wildcard
 * key per parent domain of 2 to {@link STORE_WILDCARD_LABELS} labels. A host of 60 labels costs
 * no more reads than one of 6; in exchange, a stored wildcard's domain has at most that many
 * labels (`origins add` refuses a deeper one, saying so).
 */
import type { Origin } from './origin.ts';
import { ruleAt, type CompiledPolicy } from './policy.ts';

/** The most labels the domain of a stored wildcard may have (`*.a.b.c.example.com` has 5). */
export const STORE_WILDCARD_LABELS = 5;

/** The most store reads one request makes: the exact key and one per wildcard domain length. */
export const STORE_MAX_READS = STORE_WILDCARD_LABELS;

/**
 * The store keys that would allow a canonical origin, the exact one first, then wildcards from
 * the nearest parent domain out. None for a fully qualified host (`app.example.com.` is never
 * allowed), and no wildcard for an IP address, which has no parent domain.
 *
 * @example storeKeys(parseOrigin('https://a.b.example.com')) // ['https://a.b.example.com', 'https://*.b.example.com', 'https://*.example.com']
 */
export function storeKeys(origin: Origin): string[] {
  const host = origin.hostName;
  const last = host.charCodeAt(host.length - 1);
  if (last === 46) return []; // '.'
  const keys = [origin.serialized];
  if (last === 93) return keys; // an IPv6 literal: no parent domains
  const labels = host.split('.');
  // An IPv4 address has no parent domains either: browsers read a host whose last label is a number as one.
  if (isNumber(labels[labels.length - 1] as string)) return keys;
  const colon = origin.schemeAndPort.indexOf(':');
  const scheme = origin.schemeAndPort.slice(0, colon);
  const port = origin.schemeAndPort.slice(colon + 1);
  for (let count = Math.min(labels.length - 1, STORE_WILDCARD_LABELS); count >= 2; count--) {
    keys.push(scheme + '://*.' + labels.slice(labels.length - count).join('.') + (port === '' ? '' : ':' + port));
  }
  return keys;
}

/** Whether a label is all decimal digits. */
function isNumber(label: string): boolean {
  for (let i = 0; i < label.length; i++) {
    const code = label.charCodeAt(i);
    if (code < 48 || code > 57) return false;
  }
  return label !== '';
}

/**
 * The request header the CloudFront Function writes for an origin it found in the store, and the
 * origin response checks. Lower case, as both runtimes key headers. Its value is
 * `<seconds since 1970>.<rule>.<hex HMAC-SHA256 of vouchMessage(…) under the build's store secret>`,
 * where `<rule>` names the rule the origin joins: its `id`, or {@link STORED_VALUE} for the first
 * rule (see {@link storedRuleName}; SPEC §11). A name, not a position, so that a function
 * and an origin response built from policies with rules in another order still agree.
 */
export const VOUCH_HEADER = 'x-cors-vouch';

/**
 * How long a vouch is good for, either way of the origin response's clock. It travels from the
 * viewer-request function to the origin-response function of the same request: that takes as long
 * as the origin takes to answer, at most about 10 minutes with CloudFront's longest response
 * timeout (180 s, on request) tried 3 times. A vouch seen later was copied, and one made for an
 * origin since removed from the store stops working after this.
 */
export const VOUCH_LIFETIME_SECONDS = 900;

/**
 * What a vouch signs: the distribution, the time it was made, the rule the origin joins (as the
 * store names it) and the canonical origin, each on its own line (none holds a line break), so a
 * vouch is good for one origin in one rule on one distribution for {@link VOUCH_LIFETIME_SECONDS}.
 */
export function vouchMessage(distributionId: string, seconds: string, rule: string, origin: string): string {
  return distributionId + '\n' + seconds + '\n' + rule + '\n' + origin;
}

/**
 * The rule a stored value names, as vouches name it (SPEC §10, §11): the value itself when it is a
 * rule's `id`, or {@link STORED_VALUE} for the first rule, which `allowed` and an empty value name.
 * In a policy whose rules have no `id`, every value names the first rule, as the store was read
 * before rules (whether a key exists, never its value). In one that has ids, any other value was
 * written for a rule since removed or renamed: `null`, so a stale value allows nothing, rather than
 * join the first rule with its methods and credentials.
 */
export function storedRuleName(policy: CompiledPolicy, value: string): string | null {
  if (typeof policy.ruleIds[value] === 'number') return value;
  if (value === STORED_VALUE || value === '') return STORED_VALUE;
  return Object.keys(policy.ruleIds).length > 0 ? null : STORED_VALUE;
}

/**
 * The position of the rule a name from {@link storedRuleName} stands for, in this build's policy; -1
 * for a name it has no rule for, or a `"*"` rule, which a stored origin cannot join.
 */
export function storedRule(policy: CompiledPolicy, name: string): number {
  const found = policy.ruleIds[name];
  const rule = typeof found === 'number' ? found : name === STORED_VALUE ? 0 : -1;
  return rule >= 0 && !(CORS_CODE.usesRules && ruleAt(policy, rule).anyOrigin) ? rule : -1;
}

/** What `origins add` stores for an origin that joins the first rule (no `--rule`). */
export const STORED_VALUE = 'allowed';
