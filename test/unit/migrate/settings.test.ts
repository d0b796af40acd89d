// Cross-input rules of migrate, checked before anything runs.
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { inputSpec } from "../../../actions/migrate/src/inputs";
import { settingsFrom } from "../../../actions/migrate/src/settings";
import { parseInputs } from "../../../packages/core/src/runtime/inputs";
import { RecordingLogger } from "../../../packages/core/src/runtime/logger";

/** A workspace with the folder the globs below look in (a glob into a missing folder is refused). */
const workspace = mkdtempSync(join(tmpdir(), "shipline-migrate-settings-"));
mkdirSync(join(workspace, "db"));

function settings(given: Record<string, string>) {
  const logger = new RecordingLogger();
  const inputs = parseInputs(inputSpec, {
    source: (name) => given[name] ?? inputSpec[name as keyof typeof inputSpec]?.default,
    secrets: logger.secrets,
    workspace,
  });
  return settingsFrom(inputs, logger.secrets);
}

describe("migrate settings", () => {
  it.each([
    [{ mode: "sql" }, /`database-url`: it is required in mode sql/],
    [
      { mode: "sql", "database-url": "postgres://u:p@h/d", layout: "prisma" },
      /`layout`: the sql runner runs plain SQL files, not prisma/,
    ],
    [
      { mode: "sql", "database-url": "postgres://u:p@h/d", command: "x" },
      /`command`: mode sql runs the files itself/,
    ],
    [{ mode: "command" }, /`command`: it is required in mode command/],
    [{ mode: "command", command: "npm run migrate && true" }, /`command`: "&" needs a shell/],
    [{ mode: "lint", plan: "true" }, /`plan`: it only applies to mode sql/],
    [
      { mode: "lint", backup: "always", "db-instance-identifier": "db" },
      /`backup`: mode lint applies nothing/,
    ],
    [{ mode: "lint", lint: "false" }, /`lint`: it is false in mode lint/],
    [
      { mode: "command", command: "x", backup: "always" },
      /`db-instance-identifier`: `backup: always` needs the database/,
    ],
    [
      {
        mode: "command",
        command: "x",
        backup: "always",
        "db-instance-identifier": "a",
        "db-cluster-identifier": "b",
      },
      /both a DB instance and a DB cluster/,
    ],
    [{ mode: "command", command: "x", "db-instance-identifier": "a" }, /only used for backups/],
    [{ mode: "ecs-task", cluster: "c", service: "s" }, /`task-definition`: it is required in mode ecs-task/],
    [
      {
        mode: "ecs-task",
        cluster: "c",
        service: "s",
        "task-definition": "t",
        "database-url": "postgres://u:p@h/d",
      },
      /visible in the task's overrides/,
    ],
    [{ mode: "command", command: "x", cluster: "c" }, /`cluster`: it only applies to mode ecs-task/],
    [{ mode: "lint", layout: "glob" }, /`migrations-glob`: it is required when `layout` is glob/],
    [{ mode: "lint", layout: "prisma", "migrations-glob": "db/*.sql" }, /only applies to layout glob/],
    [
      { mode: "sql", "database-url": "postgres://u:p@h/d", plan: "true", "down-to": "3" },
      /cannot be combined with `plan: true`/,
    ],
  ])("refuses %j", (given, message) => {
    expect(() => settings(given)).toThrow(message);
  });

  it("accepts a complete ecs-task configuration with a backup", () => {
    const s = settings({
      mode: "ecs-task",
      cluster: "prod",
      service: "web",
      "task-definition": "web:42",
      command: "npx prisma migrate deploy",
      backup: "if-destructive",
      "db-cluster-identifier": "shop",
    });
    expect(s).toMatchObject({
      mode: "ecs-task",
      command: ["npx", "prisma", "migrate", "deploy"],
      backup: { policy: "if-destructive", target: { kind: "cluster", identifier: "shop" } },
      ecsTask: { cluster: "prod", service: "web", taskDefinition: "web:42", container: undefined },
    });
  });

  it("reads a glob given with the default layout as exactly those files", () => {
    expect(settings({ mode: "lint", "migrations-glob": "db/*.sql" }).lint).toMatchObject({
      layout: "glob",
      globs: ["db/*.sql"],
    });
    expect(settings({ mode: "lint" }).lint.layout).toBe("auto");
  });

  it("keeps the ecs-task inputs out of the other modes' settings", () => {
    expect(settings({ mode: "command", command: "npx prisma migrate deploy" }).ecsTask).toBeUndefined();
  });

  it("masks the database URL's password in every form it is printed in, whoever parsed the inputs", () => {
    const logger = new RecordingLogger();
    // Parsed without registering secrets: the masking checked here is the settings' own.
    const given: Record<string, string> = {
      mode: "sql",
      "database-url": "postgres://app:s3cr%2Ft-pw@db.test/shop",
    };
    const inputs = parseInputs(inputSpec, {
      source: (name) => given[name] ?? inputSpec[name as keyof typeof inputSpec]?.default,
    });
    expect(logger.secrets.redact("s3cr%2Ft-pw")).toBe("s3cr%2Ft-pw");
    settingsFrom(inputs, logger.secrets);
    expect(logger.secrets.redact("connecting as app:s3cr%2Ft-pw")).not.toContain("s3cr%2Ft-pw");
    expect(logger.secrets.redact("password s3cr/t-pw")).not.toContain("s3cr/t-pw");
  });
});
