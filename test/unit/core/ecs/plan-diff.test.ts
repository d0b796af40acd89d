// The plan diff: what a deploy would change, with environment values and free-form fields masked.
import { describe, expect, it } from "vitest";
import {
  changesTable,
  describeChanges,
  diffTaskDefinitions,
} from "../../../../packages/core/src/ecs/plan-diff";
import type { TaskDefinitionInput } from "../../../../packages/core/src/ecs/task-definition";

const CURRENT: TaskDefinitionInput = {
  family: "web",
  cpu: "256",
  memory: "512",
  taskRoleArn: "arn:aws:iam::123456789012:role/web",
  containerDefinitions: [
    {
      name: "app",
      image: "registry/web:1",
      command: ["node", "server.js", "--token=abc"],
      environment: [
        { name: "LOG_LEVEL", value: "info" },
        { name: "OLD", value: "gone-value" },
      ],
      secrets: [{ name: "DB_URL", valueFrom: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db" }],
    },
  ],
};

const NEXT: TaskDefinitionInput = {
  family: "web",
  cpu: "512",
  memory: "1024",
  taskRoleArn: "arn:aws:iam::123456789012:role/web-v2",
  containerDefinitions: [
    {
      name: "app",
      image: "registry/web:2",
      command: ["node", "server.js", "--token=def"],
      environment: [
        { name: "LOG_LEVEL", value: "debug-secretish" },
        { name: "NEW", value: "new-value" },
      ],
      secrets: [{ name: "DB_URL", valueFrom: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db" }],
    },
    { name: "proxy", image: "registry/envoy:1.31" },
  ],
};

describe("diffTaskDefinitions", () => {
  const changes = diffTaskDefinitions(CURRENT, NEXT);

  it("lists images, cpu, memory and roles with their values", () => {
    expect(changes).toEqual(
      expect.arrayContaining([
        { scope: "task", field: "cpu", kind: "changed", before: "256", after: "512" },
        { scope: "task", field: "memory", kind: "changed", before: "512", after: "1024" },
        {
          scope: "task",
          field: "taskRoleArn",
          kind: "changed",
          before: "arn:aws:iam::123456789012:role/web",
          after: "arn:aws:iam::123456789012:role/web-v2",
        },
        { scope: "app", field: "image", kind: "changed", before: "registry/web:1", after: "registry/web:2" },
        {
          scope: "proxy",
          field: "container",
          kind: "added",
          before: undefined,
          after: "registry/envoy:1.31",
        },
      ]),
    );
  });

  it("names environment variables added, changed and removed without their values", () => {
    const env = changes.filter((c) => c.field.startsWith("env "));
    expect(env).toEqual([
      { scope: "app", field: "env LOG_LEVEL", kind: "changed", masked: true },
      { scope: "app", field: "env NEW", kind: "added", masked: true },
      { scope: "app", field: "env OLD", kind: "removed", masked: true },
    ]);
    const text = JSON.stringify(changes) + changesTable(changes) + describeChanges(changes).join("\n");
    for (const value of ["debug-secretish", "new-value", "gone-value", "--token=abc", "--token=def"]) {
      expect(text).not.toContain(value);
    }
  });

  it("says other fields changed without showing them", () => {
    expect(changes).toContainEqual({ scope: "app", field: "command", kind: "changed", masked: true });
    expect(changes.some((c) => c.field === "secret DB_URL")).toBe(false);
  });

  it("finds nothing between equal definitions", () => {
    expect(diffTaskDefinitions(CURRENT, structuredClone(CURRENT))).toEqual([]);
  });

  it("renders a markdown table and log lines", () => {
    const table = changesTable(changes);
    expect(table).toContain("| app | image | changed | `registry/web:1` | `registry/web:2` |");
    expect(table).toContain("| app | env NEW | added |  | ••• |");
    expect(table).toContain("| app | env OLD | removed | ••• |  |");
    expect(describeChanges(changes)).toContain("app image: registry/web:1 -> registry/web:2");
    expect(describeChanges(changes)).toContain("app env LOG_LEVEL: changed (value not shown)");
  });
});
