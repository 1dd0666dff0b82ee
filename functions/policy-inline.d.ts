import type { CompiledPolicy } from './core/policy.ts';

declare global {
  /**
   * The compiled policy, inlined by the build (esbuild `define`): Lambda@Edge has no environment
   * variables and CloudFront Functions no configuration, so the policy travels inside the code.
   */
  const CORS_POLICY: CompiledPolicy;
}
