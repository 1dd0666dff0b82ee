import type { CodeShape, CompiledPolicy } from './core/policy.ts';

declare global {
  /**
   * The compiled policy, inlined by the build (injected as a module, `cloudfront-cors:policy`):
   * Lambda@Edge has no environment variables and CloudFront Functions no configuration, so the
   * policy travels inside the code.
   */
  const CORS_POLICY: CompiledPolicy;
  /**
   * `npx cloudfront-cors build --record-events`: each handler logs every event it receives as one JSON line,
   * `{"cloudfront-cors":"<event type>","event":{…}}`, for `npx cloudfront-cors replay`. Off by
   * default, and then compiled out.
   */
  const CORS_RECORD_EVENTS: boolean;
  /**
   * Which parts of the engine the inlined policy can use (see `codeShape`). The build replaces each
   * `CORS_CODE.<part>` with `true` or `false`, so esbuild drops the code a policy cannot reach;
   * tests of the sources set every part to `true`, the whole engine.
   */
  const CORS_CODE: CodeShape;
  /**
   * With `originStore`: the key the CloudFront Function signs its vouch for a stored origin with,
   * and the origin response checks it with (SPEC §10; see `functions/core/store.ts`). The build
   * keeps it in `cors.secret` beside the policy, so every build of a project vouches alike. `""`
   * without a store.
   */
  const CORS_STORE_SECRET: string;
}
