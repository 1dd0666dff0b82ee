import { defineConfig } from 'vitest/config';
import { validatePolicy } from './build/policy-file.ts';
import { WHOLE_ENGINE, compilePolicy } from './functions/core/policy.ts';
import examplePolicy from './test/policies/example.json' with { type: 'json' };

export default defineConfig({
  // Source-level handler tests import the handlers' `handler` export, which reads the policy the
  // build would inline. They get the test suite's example policy, not the user's cors.config.json.
  define: {
    CORS_POLICY: JSON.stringify(compilePolicy(validatePolicy(examplePolicy, 'test/policies/example.json'))),
    CORS_RECORD_EVENTS: 'false',
    // The sources run the whole engine; each build keeps only the parts its policy can reach.
    CORS_CODE: JSON.stringify(WHOLE_ENGINE),
    CORS_STORE_SECRET: JSON.stringify('source-tests-store-secret'),
  },
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/required-tools.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
