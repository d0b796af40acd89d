import { describe, expect, it } from "vitest";
import type { Change, ReleaseChanges } from "../../../../packages/core/src/release-notes/changes";
import type { DeploymentFacts } from "../../../../packages/core/src/release-notes/deployment";
import {
  changeLine,
  deploymentBlock,
  escapeText,
  linkIssueKeys,
  renderNotes,
} from "../../../../packages/core/src/release-notes/render";

const repositoryUrl = "https://github.com/acme/shop";
const jira = [{ prefixes: ["ABC"], url: "https://jira.example.test/browse/{key}" }];

const noDeployment: DeploymentFacts = {
  image: undefined,
  digest: undefined,
  taskDefinitionArn: undefined,
  previousTaskDefinitionArn: undefined,
  migrations: undefined,
  verdict: undefined,
  healthReport: undefined,
  previous: undefined,
  rollbackAction: "<owner>/shipline/actions/auto-rollback@v1",
  rollbackWith: {},
};

function pullRequestChange(number: number, title: string, order = number): Change {
  return {
    key: `pr:${number}`,
    pullRequest: {
      number,
      title,
      url: `${repositoryUrl}/pull/${number}`,
      merged: true,
      mergedAt: undefined,
      author: { login: "alice", bot: false },
      labels: [],
      mergeCommitSha: undefined,
    },
    title,
    header: undefined,
    breaking: false,
    breakingNote: undefined,
    labels: [],
    author: { login: "alice", name: "alice", bot: false },
    landing: [],
    commits: [],
    order,
  };
}

function releaseOf(changes: Change[]): ReleaseChanges {
  return {
    sections: [{ id: "other", title: "Other changes", changes }],
    reverts: [],
    excluded: [],
    contributors: [],
    listed: changes.length,
  };
}

describe("text in the notes", () => {
  it.each([
    ["a <script> & b", "a &lt;script&gt; &amp; b"],
    ["<!-- shipline:release-notes:end -->", "&lt;!-- shipline:release-notes:end --&gt;"],
    ["already &amp; escaped", "already &amp; escaped"],
  ])("escapes %j", (text, expected) => {
    expect(escapeText(text)).toBe(expected);
  });

  it.each([
    ["fixes #12", `fixes [#12](${repositoryUrl}/issues/12)`],
    ["(#7) and #8,", `([#7](${repositoryUrl}/issues/7)) and [#8](${repositoryUrl}/issues/8),`],
    ["see ABC-42.", "see [ABC-42](https://jira.example.test/browse/ABC-42)."],
    ["XABC-42 and abc-1 stay", "XABC-42 and abc-1 stay"],
    ["a#12 and &#39; stay", "a#12 and &#39; stay"],
  ])("links %j", (text, expected) => {
    expect(linkIssueKeys(text, repositoryUrl, jira)).toBe(expected);
  });

  it("keeps a PR title's reference to another issue but drops its own number", () => {
    const line = changeLine(pullRequestChange(11, "Handle empty carts (#7) (#11)"), {
      repositoryUrl,
      issueKeys: [],
    });
    expect(line).toBe(
      `- Handle empty carts ([#7](${repositoryUrl}/issues/7)) ([#11](${repositoryUrl}/pull/11)) by @alice`,
    );
  });
});

describe("size cap", () => {
  it("lists what fits under the limit and links the full changelog for the rest", () => {
    const changes = Array.from({ length: 2000 }, (_, i) =>
      pullRequestChange(i + 1, `change ${"x".repeat(60)} ${i}`),
    );
    const notes = renderNotes(releaseOf(changes), {
      repositoryUrl,
      tag: "v2.0.0",
      previousTag: "v1.0.0",
      issueKeys: [],
      deployment: noDeployment,
      maxLength: 50_000,
    });
    expect(notes.markdown.length).toBeLessThanOrEqual(50_000);
    expect(notes.omitted).toBeGreaterThan(1000);
    expect(notes.markdown).toContain(`${notes.omitted} of 2000 changes are not listed`);
    expect(notes.markdown).toContain(
      `- … and ${notes.omitted} more: see the [full changelog](${repositoryUrl}/compare/v1.0.0...v2.0.0)`,
    );
  });

  it("lists everything when it fits", () => {
    const notes = renderNotes(releaseOf([pullRequestChange(1, "one")]), {
      repositoryUrl,
      tag: "v2.0.0",
      previousTag: "v1.0.0",
      issueKeys: [],
      deployment: noDeployment,
      maxLength: 124_000,
    });
    expect(notes.omitted).toBe(0);
    expect(notes.markdown).toBe(
      `## Other changes\n\n- one ([#1](${repositoryUrl}/pull/1)) by @alice\n\n**Full changelog**: [v1.0.0...v2.0.0](${repositoryUrl}/compare/v1.0.0...v2.0.0)\n`,
    );
  });
});

describe("deployment section", () => {
  it("is absent when no deployment input was given", () => {
    expect(deploymentBlock(noDeployment)).toEqual([]);
  });

  it("asks for the previous task definition when it is not known, and shows the verdict", () => {
    const text = deploymentBlock({ ...noDeployment, verdict: "inconclusive" }).join("\n");
    expect(text).toContain("| Health gate | inconclusive |");
    expect(text).toContain("pass `previous-task-definition-arn` from ecs-deploy");
    expect(text).not.toContain("```yaml");
  });

  it("shows the failed checks of a health report and keeps the JSON collapsed", () => {
    const text = deploymentBlock({
      ...noDeployment,
      verdict: "fail",
      healthReport: {
        verdict: "fail",
        failedChecks: ["error-rate"],
        checks: [{ name: "error-rate", value: 0.1 }],
      },
    }).join("\n");
    expect(text).toContain("Failed checks: `error-rate`.");
    expect(text).toContain("<details><summary>Health-gate report</summary>");
  });

  it("says the previous release's digest only beside the revision that release recorded", () => {
    const arn = (n: number) => `arn:aws:ecs:eu-west-1:123456789012:task-definition/web:${n}`;
    const digest = `sha256:${"c".repeat(64)}`;
    const previous = { tag: "v1.4.0", digest, taskDefinitionArn: arn(6) };
    const same = deploymentBlock({ ...noDeployment, previousTaskDefinitionArn: arn(6), previous }).join("\n");
    expect(same).toContain(`\`web:6\` with image digest \`${digest}\` (recorded by the v1.4.0 release).`);
    // A hotfix deployed web:7 after v1.4.0: its digest is not v1.4.0's.
    const other = deploymentBlock({ ...noDeployment, previousTaskDefinitionArn: arn(7), previous }).join(
      "\n",
    );
    expect(other).toContain("The previous release ran task definition `web:7`.");
    expect(other).not.toContain(digest);
  });

  it("names previous-task-definition-arn once in the rollback step, even when rollback-with gives it", () => {
    const arn = "arn:aws:ecs:eu-west-1:123456789012:task-definition/web:7";
    const text = deploymentBlock({
      ...noDeployment,
      previousTaskDefinitionArn: arn,
      rollbackWith: { cluster: "prod", services: "web,worker", "previous-task-definition-arn": "stale" },
    }).join("\n");
    expect(text.match(/previous-task-definition-arn:/g)).toHaveLength(1);
    expect(text).toContain(
      `    cluster: prod\n    services: "web,worker"\n    previous-task-definition-arn: ${arn}`,
    );
    expect(text).not.toContain("stale");
  });

  it("gives a rollback step with the placeholder owner when the action's repository is unknown", () => {
    const text = deploymentBlock({
      ...noDeployment,
      previousTaskDefinitionArn: "arn:aws:ecs:eu-west-1:123456789012:task-definition/web:7",
    }).join("\n");
    expect(text).toContain(
      "  uses: <owner>/shipline/actions/auto-rollback@v1\n  with:\n    previous-task-definition-arn: arn:aws:ecs:eu-west-1:123456789012:task-definition/web:7",
    );
  });
});
