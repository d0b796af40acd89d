// examples/aws/shipline-iam.yaml against the calls each action makes: every job of the reusable
// workflows that assumes a role has one in the template (by the workflow input the role is for), that
// role trusts exactly the tokens the job can carry (the environment, the refs, pull requests), and its
// policy allows every call the job's steps make and nothing else. What each action calls is the
// README's IAM table, which the end-to-end tests hold against the calls the real runs made.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse, type Tags } from "yaml";
import { documentedIamActions } from "../e2e/iam-policy";
import { ROOT } from "../repo/layout";
import {
  repositoryWorkflows,
  type Step,
  type StepsJob,
  shiplineAction,
  thirdPartyAction,
  type Workflow,
} from "../repo/workflow";

type Raw = Record<string, unknown>;

/** CloudFormation's short forms (`!Sub`, `!Ref`, ...) as the long forms they stand for. */
const CLOUDFORMATION_TAGS: Tags = [
  "Sub",
  "Ref",
  "GetAtt",
  "If",
  "Equals",
  "Not",
  "And",
  "Or",
  "Join",
  "Select",
  "Split",
  "FindInMap",
  "Base64",
  "Cidr",
  "ImportValue",
  "GetAZs",
].flatMap((name) =>
  (["scalar", "seq", "map"] as const).map((collection) => ({
    tag: `!${name}`,
    collection: collection === "scalar" ? undefined : collection,
    resolve: (value: unknown) => {
      const plain =
        value && typeof value === "object" && "toJSON" in value
          ? (value as { toJSON(): unknown }).toJSON()
          : value;
      if (name === "Ref") return { Ref: plain };
      if (name === "GetAtt" && typeof plain === "string") return { "Fn::GetAtt": plain.split(".") };
      return { [`Fn::${name}`]: plain };
    },
  })),
) as unknown as Tags;

const TEMPLATE_FILE = "examples/aws/shipline-iam.yaml";
const template = parse(readFileSync(join(ROOT, TEMPLATE_FILE), "utf8"), {
  customTags: CLOUDFORMATION_TAGS,
}) as { Parameters: Raw; Resources: Record<string, { Type: string; Metadata?: Raw; Properties: Raw }> };

interface Statement {
  Effect: string;
  Action: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
}

/** The statements of a policy document, with both branches of a conditional statement. */
function statementsOf(document: unknown): Statement[] {
  const list = ((document as Raw).Statement ?? []) as unknown[];
  return list.flatMap((item) => {
    const conditional = (item as Raw)["Fn::If"] as unknown[] | undefined;
    if (conditional) return [conditional[1], conditional[2]].filter((s) => !(s as Raw)?.Ref) as Statement[];
    return [item as Statement];
  });
}

function actionsOf(statements: Statement[]): string[] {
  return [
    ...new Set(
      statements
        .filter((s) => s.Effect === "Allow")
        .flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])),
    ),
  ].sort();
}

interface Role {
  id: string;
  input: string;
  /** The reusable workflow whose job takes the role, when not deploy.yml or pr-checks.yml. */
  workflow: string | undefined;
  environment: string | undefined;
  trust: Statement[];
  actions: string[];
}

const roles: Role[] = Object.entries(template.Resources)
  .filter(([, r]) => r.Type === "AWS::IAM::Role")
  .map(([id, r]) => {
    const meta = (r.Metadata?.Shipline ?? {}) as {
      WorkflowInput?: string;
      Workflow?: string;
      Environment?: string;
    };
    const policies = (r.Properties.Policies ?? []) as { PolicyDocument: unknown }[];
    return {
      id,
      input: meta.WorkflowInput ?? "",
      workflow: meta.Workflow,
      environment: meta.Environment,
      trust: statementsOf(r.Properties.AssumeRolePolicyDocument),
      actions: actionsOf(policies.flatMap((p) => statementsOf(p.PolicyDocument))),
    };
  });

/** What the plan mode of ecs-deploy calls: pull-request-checks.test.ts observes exactly these. */
const PLAN_CALLS = ["ecs:DescribeServiceRevisions", "ecs:DescribeServices", "ecs:DescribeTaskDefinition"];

/** Calls the table lists that the template leaves out on purpose; its header comment says so. */
const LEFT_OUT: Record<string, string> = {
  "ecr:CreateRepository": "build-push's create-repository: the repository is made with the service",
  "rds:CreateDBClusterSnapshot": "Aurora (migrate's db-cluster-identifier) is not what the callers use",
  "rds:DescribeDBClusterSnapshots": "Aurora (migrate's db-cluster-identifier) is not what the callers use",
};

const iam = documentedIamActions();

/** Every call a step can make, from the README's table (plan mode: the read-only three). */
function callsOf(step: Step): string[] {
  const action = shiplineAction(step.uses);
  if (!action) return [];
  if (action === "ecs-deploy" && String(step.with.plan) === "true") return PLAN_CALLS;
  const listed = iam[action];
  if (!listed) throw new Error(`the README's IAM table has no row for ${action}`);
  return [...listed.pipeline, ...listed.sometimes, ...listed.other];
}

/** Each job that assumes an AWS role, with the workflow inputs that name its role. */
const WATCH = ".github/workflows/watch.yml";

/** The job that takes a role: by the workflow input it is for, in the workflow the role names. */
function jobOf<J extends { workflow: Workflow; inputs: string[] }>(jobs: J[], role: Role): J | undefined {
  return jobs.find(
    (j) =>
      j.inputs[0] === role.input &&
      (role.workflow ? j.workflow.file === role.workflow : j.workflow.file !== WATCH),
  );
}

function assumingJobs(): { workflow: Workflow; id: string; job: StepsJob; inputs: string[] }[] {
  return repositoryWorkflows()
    .filter((w) => w.workflowCall)
    .flatMap((workflow) =>
      Object.entries(workflow.jobs).flatMap(([id, job]) => {
        if (job.kind !== "steps") return [];
        const credentials = job.steps.find(
          (s) => thirdPartyAction(s.uses)?.action === "aws-actions/configure-aws-credentials",
        );
        if (!credentials) return [];
        const expression = String(credentials.with["role-to-assume"] ?? "");
        const inputs = [...expression.matchAll(/inputs\.([\w-]+)/g)].map((m) => m[1] ?? "");
        // The watch's rollback job takes the production deploy role (bound to the environment),
        // held against it below.
        if (workflow.file === WATCH && id === "rollback") return [];
        return [{ workflow, id, job, inputs }];
      }),
    );
}

const SUB = "token.actions.githubusercontent.com:sub";
const AUD = "token.actions.githubusercontent.com:aud";

function subjects(role: Role): string[] {
  return role.trust.flatMap((s) => {
    const values = Object.values(s.Condition ?? {}).flatMap((c) => (c[SUB] === undefined ? [] : [c[SUB]]));
    return values.flatMap((v) => (Array.isArray(v) ? v : [v])).map((v) => String((v as Raw)["Fn::Sub"] ?? v));
  });
}

describe(TEMPLATE_FILE, () => {
  const jobs = assumingJobs();

  it("has a role for every job of the reusable workflows that assumes one, and no other", () => {
    expect(jobs.map((j) => `${j.workflow.file} ${j.id}`)).toEqual([
      ".github/workflows/deploy.yml build",
      ".github/workflows/deploy.yml deploy",
      ".github/workflows/pr-checks.yml deploy-plan",
      ".github/workflows/watch.yml check",
    ]);
    for (const role of roles) expect(jobOf(jobs, role), role.id).toBeDefined();
    for (const job of jobs)
      expect(
        roles.some((r) => jobOf([job], r)),
        job.id,
      ).toBe(true);
  });

  it("lets the watch's rollback job, bound to production, do everything with the production deploy role", () => {
    const watch = repositoryWorkflows().find((w) => w.file === WATCH);
    const rollback = watch?.jobs.rollback;
    if (rollback?.kind !== "steps") throw new Error("watch.yml has no rollback job");
    expect(rollback.environment).toBeDefined();
    const production = roles.find((r) => r.input === "role-to-assume" && r.environment === "production");
    const needed = [...new Set(rollback.steps.flatMap(callsOf))];
    expect(needed.filter((a) => !production?.actions.includes(a) && !(a in LEFT_OUT))).toEqual([]);
  });

  it.each(roles.map((r) => [r.id, r] as const))(
    "%s allows every call its job's steps make, and no more",
    (_, role) => {
      const job = jobOf(jobs, role);
      if (!job) throw new Error(`no job assumes ${role.input}`);
      const needed = new Set(job.job.steps.flatMap(callsOf));
      const missing = [...needed].filter((a) => !role.actions.includes(a) && !(a in LEFT_OUT));
      const extra = role.actions.filter((a) => !needed.has(a));
      expect({ missing, extra }).toEqual({ missing: [], extra: [] });
      expect(role.actions.filter((a) => a.includes("*"))).toEqual([]);
    },
  );

  it.each(roles.map((r) => [r.id, r] as const))("%s trusts only the tokens its job carries", (_, role) => {
    const job = jobOf(jobs, role);
    if (!job) throw new Error(`no job assumes ${role.input}`);
    expect(role.trust).toHaveLength(1);
    const [statement] = role.trust;
    expect(statement?.Action).toBe("sts:AssumeRoleWithWebIdentity");
    expect(statement?.Condition?.StringEquals?.[AUD]).toBe("sts.amazonaws.com");
    // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation's placeholders, as written in the template
    const repo = "repo:${GitHubOwner}/${GitHubRepository}";
    if (job.job.environment) {
      // A job bound to an environment: GitHub puts the environment in the token's subject.
      expect(role.environment).toBeDefined();
      expect(subjects(role)).toEqual([`${repo}:environment:${role.environment}`]);
    } else if (job.workflow.file === WATCH) {
      // A schedule runs on the default branch only.
      expect(subjects(role)).toEqual([`${repo}:ref:refs/heads/main`]);
    } else if (job.workflow.on.workflow_call && job.workflow.file.endsWith("pr-checks.yml")) {
      expect(subjects(role)).toEqual([`${repo}:pull_request`]);
    } else {
      expect(subjects(role)).toEqual([`${repo}:ref:refs/heads/main`, `${repo}:ref:refs/tags/v*`]);
    }
  });

  it("has one deploy role per environment of the example callers", () => {
    expect(
      roles
        .filter((r) => r.input === "role-to-assume" && r.workflow === undefined)
        .map((r) => r.environment)
        .sort(),
    ).toEqual(["production", "staging"]);
  });

  it("names only parameters, resources and pseudo parameters in its references", () => {
    const known = new Set([...Object.keys(template.Parameters), ...Object.keys(template.Resources)]);
    const names: string[] = [];
    const walk = (value: unknown): void => {
      if (Array.isArray(value)) value.forEach(walk);
      else if (value && typeof value === "object") {
        for (const [key, inner] of Object.entries(value)) {
          if (key === "Ref" && typeof inner === "string") names.push(inner);
          if (key === "Fn::Sub" && typeof inner === "string")
            names.push(...[...inner.matchAll(/\$\{([\w:]+)(?:\.\w+)?\}/g)].map((m) => m[1] ?? ""));
          if (key === "Fn::GetAtt" && Array.isArray(inner)) names.push(String(inner[0]));
          walk(inner);
        }
      }
    };
    walk(template.Resources);
    walk((template as unknown as Raw).Outputs);
    const unknown = names.filter((n) => !known.has(n) && !n.startsWith("AWS::"));
    expect(names.length).toBeGreaterThan(20);
    expect(unknown).toEqual([]);
  });
});
