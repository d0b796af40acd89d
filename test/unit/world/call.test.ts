// A caller's call of a shipline reusable workflow, read from the caller's file and checked against the
// called workflow's interface as GitHub checks it, before any job runs.
import { describe, expect, it } from "vitest";
import { exampleWorkflows, parseWorkflow, readWorkflow } from "../../repo/workflow";
import { callContexts, callerCall } from "../../world/runner/call";

const VARS = {
  AWS_REGION: "eu-west-1",
  BUILD_ROLE_ARN: "arn:aws:iam::123456789012:role/build",
  ECR_REPOSITORY: "shop/web",
  PLAN_ROLE_ARN: "arn:aws:iam::123456789012:role/plan",
  PRODUCTION_DEPLOY_ROLE_ARN: "arn:aws:iam::123456789012:role/deploy-production",
  STAGING_DEPLOY_ROLE_ARN: "arn:aws:iam::123456789012:role/deploy-staging",
  PRODUCTION_TARGET_GROUP_ARN: "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web/1",
  STAGING_TARGET_GROUP_ARN: "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web/2",
  PRODUCTION_ALB_ARN: "app/production/1",
  STAGING_ALB_ARN: "app/staging/2",
};
const SECRETS = { DATABASE_URL: "postgres://u:p@db/shop", UNRELATED: "x" };
const contexts = { github: { sha: "abc123" }, vars: VARS, secrets: SECRETS };

describe("callerCall", () => {
  it("evaluates the caller's with: in its own run, keeping the types of whole expressions", () => {
    const caller = parseWorkflow(
      [
        "on: push",
        "jobs:",
        "  deploy:",
        "    uses: acme/shipline/.github/workflows/deploy.yml@v1",
        "    permissions: { contents: read }",
        "    with:",
        `      aws-region: \${{ vars.AWS_REGION }}`,
        `      build-args: VERSION=\${{ github.sha }}`,
        `      release-notes: \${{ github.sha != '' }}`,
        "      incident-issue: false",
        "    secrets:",
        `      DATABASE_URL: \${{ secrets.DATABASE_URL }}`,
      ].join("\n"),
      "caller.yml",
    );
    expect(callerCall(caller, "deploy", contexts)).toEqual({
      workflow: ".github/workflows/deploy.yml",
      inputs: {
        "aws-region": "eu-west-1",
        "build-args": "VERSION=abc123",
        "release-notes": true,
        "incident-issue": false,
      },
      secrets: { DATABASE_URL: "postgres://u:p@db/shop" },
      inherited: false,
      permissions: { contents: "read" },
    });
  });

  it("passes every secret of the caller with secrets: inherit", () => {
    const call = callerCall(readWorkflow("examples/workflows/deploy-staging.yml"), "deploy", contexts);
    expect(call).toMatchObject({ secrets: SECRETS, inherited: true });
  });

  it("refuses a job that calls no shipline workflow", () => {
    const caller = parseWorkflow(
      "on: push\njobs:\n  a: { uses: other/repo/.github/workflows/x.yml@v1 }\n  b: { runs-on: x, steps: [{ run: a }] }\n",
      "caller.yml",
    );
    expect(() => callerCall(caller, "a", contexts)).toThrow(
      /calls other\/repo\/\.github\/workflows\/x\.yml@v1, not a shipline workflow/,
    );
    expect(() => callerCall(caller, "b", contexts)).toThrow(/caller\.yml: job b calls no reusable workflow/);
  });
});

describe("the example callers", () => {
  it.each(exampleWorkflows().map((w) => [w.file, w] as const))(
    "%s makes a call the workflow it calls accepts",
    (_, caller) => {
      for (const id of Object.keys(caller.jobs)) {
        const call = callerCall(caller, id, contexts);
        const called = readWorkflow(call.workflow);
        const accepted = callContexts(called.file, called.workflowCall, {
          ...call,
          token: "ghs_token",
        });
        // Every input the caller gives arrives with its value; the rest take their defaults.
        expect(accepted.inputs).toMatchObject(call.inputs);
        expect(Object.keys(accepted.inputs).sort()).toEqual(
          Object.keys(called.workflowCall?.inputs ?? {}).sort(),
        );
      }
    },
  );

  it("an input of the wrong type is refused, as GitHub refuses it", () => {
    const called = readWorkflow(".github/workflows/pr-checks.yml");
    expect(() =>
      callContexts(called.file, called.workflowCall, {
        inputs: { "deploy-plan": "true" },
        secrets: {},
        token: "t",
      }),
    ).toThrow(/input deploy-plan is a boolean, not the string "true"/);
  });
});
