/**
 * The `cloudfront` module of cloudfront-js-2.0: its KeyValueStore helper
 * (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/functions-custom-methods.html).
 * Only what the function uses is declared. Tests give it a stand-in backed by a file or a map.
 */
declare module 'cloudfront' {
  /** The store associated with the function. */
  export interface KeyValueStore {
    /** Whether the key is in the store. */
    exists(key: string): Promise<boolean>;
    /** The key's value; rejects when the key is missing. */
    get(key: string, options?: { format?: 'string' | 'json' | 'bytes' }): Promise<unknown>;
  }
  const cf: {
    /** The store associated with the function (a function has at most one). */
    kvs(): KeyValueStore;
  };
  export default cf;
}
