// The inputs of migrate; a contract test keeps this spec equal to action.yml.
import { awsInputSpec } from "@shipline/core/aws/clients";
import { type InputSpec, type InputValues, input } from "@shipline/core/runtime/inputs";

export const MODES = ["lint", "sql", "command", "ecs-task"] as const;
export type Mode = (typeof MODES)[number];

export const inputSpec = {
  mode: input.choice(MODES, { required: true }),
  "working-directory": input.string({ default: "." }),
  layout: input.choice(["auto", "prisma", "flyway", "golang-migrate", "alembic", "glob"], {
    default: "auto",
  }),
  "migrations-glob": input.list({ separator: "newline" }),
  lint: input.boolean({ default: "true" }),
  "lint-scope": input.choice(["new", "all"], { default: "new" }),
  "base-ref": input.string(),
  rules: input.keyValues(),
  "fail-on": input.choice(["error", "warning", "never"], { default: "error" }),
  "postgres-version": input.string({
    default: "17",
    pattern: /^1[0-8]$/,
    hint: "Give the server's PostgreSQL major version, from 10 to 18, such as 17.",
  }),
  "database-url": input.string({ secret: true }),
  "database-url-env": input.string({
    default: "DATABASE_URL",
    pattern: /^[A-Za-z_][A-Za-z0-9_]*$/,
    hint: "Give an environment variable name such as DATABASE_URL.",
  }),
  command: input.string(),
  plan: input.boolean({ default: "false" }),
  "down-to": input.string({
    pattern: /^[A-Za-z0-9._-]+$/,
    hint: 'Give a migration version such as "12", or "0" for all.',
  }),
  "history-table": input.string({
    default: "shipline_migrations",
    pattern: /^[A-Za-z_][A-Za-z0-9_]{0,62}(\.[A-Za-z_][A-Za-z0-9_]{0,62})?$/,
    hint: "Give a table name such as shipline_migrations or schema_name.shipline_migrations.",
  }),
  "lock-wait": input.duration({ default: "5m", max: "6h" }),
  "lock-timeout": input.duration({ default: "5s", max: "1h" }),
  "statement-timeout": input.duration({ default: "30m", max: "24h" }),
  backup: input.choice(["never", "always", "if-destructive"], { default: "never" }),
  "db-instance-identifier": input.string({
    pattern: /^[A-Za-z][A-Za-z0-9-]{0,62}$/,
    hint: "Give an RDS DB instance identifier such as shop-production.",
  }),
  "db-cluster-identifier": input.string({
    pattern: /^[A-Za-z][A-Za-z0-9-]{0,62}$/,
    hint: "Give an Aurora DB cluster identifier such as shop-production.",
  }),
  "backup-timeout": input.duration({ default: "1h", min: "1m", max: "12h" }),
  cluster: input.string(),
  service: input.string(),
  "task-definition": input.string(),
  container: input.string(),
  timeout: input.duration({ default: "30m", min: "10s", max: "12h" }),
  "poll-interval": input.duration({ default: "5s", min: "1s", max: "5m" }),
  "log-tail-lines": input.integer({ default: "50", min: 1, max: 1000 }),
  ...awsInputSpec,
} satisfies InputSpec;

export type Inputs = InputValues<typeof inputSpec>;
