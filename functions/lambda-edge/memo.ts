/**
 * What a Lambda@Edge container remembers between requests. A container serves one distribution's
 * viewers, who send the same few `Origin`, `Vary` and preflight values again and again; an attacker
 * who sends a new one each time only refills a memo. Never in the CloudFront Function, which keeps
 * nothing between requests and has no `Map`.
 */
import { judgeOrigin, type OriginJudge } from '../core/cors.ts';

/** A map of at most `limit` entries, emptied when full: bounded memory whatever the requests. */
export class BoundedMemo<T> {
  private entries = new Map<string, T>();

  constructor(private readonly limit = 512) {}

  /** The value kept for a key, or `undefined`. */
  get(key: string): T | undefined {
    return this.entries.get(key);
  }

  /** Keeps a value, first emptying the memo when it is full. */
  set(key: string, value: T): void {
    if (this.entries.size >= this.limit) this.entries = new Map();
    this.entries.set(key, value);
  }
}

/** Returns a function that remembers what `compute` answered for the last few hundred keys. */
export function memoize<T>(compute: (key: string) => T, limit?: number): (key: string) => T {
  const memo = new BoundedMemo<T>(limit);
  return (key) => {
    let value = memo.get(key);
    if (value === undefined) {
      value = compute(key);
      memo.set(key, value);
    }
    return value;
  };
}

const judged = memoize((value) => judgeOrigin(CORS_POLICY, value));

/**
 * {@link judgeOrigin} on the inlined policy, once per `Origin` value and container: the judgement
 * depends on the value and the policy only.
 */
export const judgeOnce: OriginJudge = (_policy, value) => judged(value);
