// Runs once before the test files: makes sure the actions' runtime (Node 24) is available, so the
// bundle tests never skip for want of it, gives the bundle runs a compile cache (see harness.ts), and
// splits GitHub's REST API description for the fake GitHub's check once, before the workers need it.
import { tmpdir } from "node:os";
import { join } from "node:path";
import { prepareGitHubOpenApi } from "./github-openapi-check";
import { COMPILE_CACHE_ENV } from "./harness";
import { findNode24 } from "./node";

export default function setup(): void {
  process.env.SHIPLINE_NODE24 = findNode24();
  // Node's recommended home for it: under the temporary directory, keyed by each bundle's contents.
  process.env[COMPILE_CACHE_ENV] ??= join(tmpdir(), "shipline-test-compile-cache");
  prepareGitHubOpenApi();
}
