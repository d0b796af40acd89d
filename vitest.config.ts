import { defineConfig } from "vitest/config";

// Unit tests run in-process; integration and end-to-end tests start real services (Docker, PostgreSQL,
// Prometheus, the AWS simulator) and run the committed bundles as separate processes, so they get
// longer timeouts. Files are named *.test.ts everywhere; the folder says which kind a test is.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/rig/global-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: "forks",
    reporters: process.env.CI ? ["default"] : ["default"],
  },
});
