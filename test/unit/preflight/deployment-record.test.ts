import { describe, expect, it } from "vitest";
import {
  deployPayload,
  markedDescription,
  parseDeploymentPayload,
  parseMark,
  parseOverride,
} from "../../../packages/core/src/github/deployment-record";

const ARN = "arn:aws:ecs:eu-west-1:123456789012:task-definition/web:7";
const DIGEST = `sha256:${"c".repeat(64)}`;

describe("the deployment record", () => {
  it("keeps the digest of every container, the revision and the migrations, and reads back what it wrote", () => {
    const payload = deployPayload({
      cluster: "prod",
      services: ["web"],
      taskDefinitionArn: ARN,
      previousTaskDefinitionArn: { web: ARN.replace(":7", ":6") },
      images: { app: `repo/web@${DIGEST}`, sidecar: "datadog/agent:7" },
      migrations: [{ file: "db/1.sql", destructive: false }],
    });
    expect(payload).toMatchObject({
      version: 1,
      revision: "web:7",
      containers: [
        { name: "app", digest: DIGEST },
        { name: "sidecar", digest: null },
      ],
    });
    expect(parseDeploymentPayload(JSON.parse(JSON.stringify(payload)))).toEqual(payload);
  });

  it("reads the payloads written before the version field", () => {
    const old = {
      shipline: "ecs-deploy",
      cluster: "prod",
      services: ["web"],
      taskDefinitionArn: ARN,
      images: { app: `r@${DIGEST}` },
    };
    const read = parseDeploymentPayload(old);
    expect(read?.shipline === "ecs-deploy" && read.containers).toEqual([
      { name: "app", image: `r@${DIGEST}`, digest: DIGEST },
    ]);
  });

  it("ignores another tool's payload and a newer version's", () => {
    expect(parseDeploymentPayload({ taskDefinitionArn: ARN })).toBeUndefined();
    expect(
      parseDeploymentPayload({ shipline: "ecs-deploy", version: 2, taskDefinitionArn: ARN }),
    ).toBeUndefined();
  });

  it("does not believe a recorded digest that its image reference contradicts", () => {
    const payload = {
      shipline: "ecs-deploy",
      version: 1,
      taskDefinitionArn: ARN,
      containers: [{ name: "app", image: `r@${DIGEST}`, digest: `sha256:${"d".repeat(64)}` }],
    };
    const read = parseDeploymentPayload(payload);
    expect(read?.shipline === "ecs-deploy" && read.containers[0]?.digest).toBeNull();
  });

  it.each([
    [{ kind: "gate", verdict: "pass" }, "[shipline gate:pass] Health gate passed"],
    [{ kind: "rolled-back" }, "[shipline rolled-back] Health gate passed"],
  ] as const)("marks a status %j and reads the mark back", (mark, description) => {
    expect(markedDescription(mark, "Health gate passed")).toBe(description);
    expect(parseMark(description)).toEqual(mark);
  });

  it("keeps the mark when the text is cut at GitHub's 140 characters", () => {
    const description = markedDescription({ kind: "verified" }, "x".repeat(300));
    expect(description).toHaveLength(140);
    expect(parseMark(description)).toEqual({ kind: "verified" });
  });

  it("refuses an override without a reason", () => {
    expect(() => parseOverride({ checks: ["window"], reason: " " })).toThrow(/reason/);
  });
});
