// The deploy workflow's build job names no environment, so a role that trusts only the environment
// cannot be assumed there: without build-role-to-assume the job says so, naming its token's subject,
// before configure-aws-credentials fails.
import { describe, expect, it } from "vitest";
import { readWorkflow } from "../repo/workflow";
import { interpolate } from "../world/runner/expressions";
import { runGitHubScript } from "../world/runner/stand-ins";

const build = readWorkflow(".github/workflows/deploy.yml").jobs.build;
const steps = build?.kind === "steps" ? build.steps : [];
const check = steps.find((s) => s.name === "Check the build role");

describe("the build job's role", () => {
  it("is checked before the credentials step, and only when build-role-to-assume is empty", () => {
    const names = steps.map((s) => s.name);
    expect(names.indexOf("Check the build role")).toBe(names.indexOf("AWS credentials") - 1);
    expect(check?.if).toBe("inputs.build-role-to-assume == ''");
    expect(build?.kind === "steps" && build.environment).toBe(undefined);
  });

  it("warns with the subject of the job's token and what to do", async () => {
    const env = {
      SHIPLINE_SUBJECT: interpolate(
        check?.env.SHIPLINE_SUBJECT,
        { github: { repository: "acme/shop", ref: "refs/tags/v1.2.0" } },
        { failed: false },
      ),
    };
    const result = await runGitHubScript(String(check?.with.script), { env });
    expect(result.failed).toBeUndefined();
    expect(result.warnings).toEqual([
      expect.stringContaining(
        "its OIDC token's subject is repo:acme/shop:ref:refs/tags/v1.2.0, which a role",
      ),
    ]);
    expect(result.warnings[0]).toContain("Pass build-role-to-assume");
  });
});
