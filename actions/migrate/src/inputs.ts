// The inputs of migrate; a contract test keeps this spec equal to action.yml.
import { awsInputSpec } from "@shipline/core/aws/inputs";
import { type InputSpec, type InputValues, input } from "@shipline/core/runtime/inputs";

export const MODES = ["lint", "sql", "command", "ecs-task"] as const;
export type Mode = (typeof MODES)[number];

const CLUSTER = /^(arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:cluster\/)?[a-zA-Z0-9_-]{1,255}$/;
const SERVICE = /^(arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:service\/[a-zA-Z0-9_-]+\/)?[a-zA-Z0-9_-]{1,255}$/;

export const inputSpec = {
  mode: input.choice(MODES, { required: true }),
  // Must exist: a folder that is not there would find no migrations and pass, saying nothing.
  "working-directory": input.path({ default: ".", mustExist: "directory" }),
  layout: input.choice(["auto", "prisma", "flyway", "golang-migrate", "alembic", "glob"], {
    default: "auto",
  }),
  "migrations-glob": input.globs({ relativeTo: "working-directory", mustExist: "directory" }),
  lint: input.boolean({ default: "true" }),
  "lint-scope": input.choice(["new", "all"], { default: "new" }),
  // Branch, tag or commit (HEAD~3 too); never starting with "-", which git would read as an option.
  "base-ref": input.string({
    pattern: /^[A-Za-z0-9_][A-Za-z0-9._/+@~^-]{0,254}$/,
    hint: "Give a branch, tag or commit such as main, v1.4.0 or a commit SHA.",
  }),
  rules: input.keyValues({
    keyPattern: /^[a-z][a-z0-9-]{0,63}$/,
    keyHint: "Write one `rule-id=off|warn|error` per line; the rule ids are listed in the migrate README.",
  }),
  "fail-on": input.choice(["error", "warning", "never"], { default: "error" }),
  "postgres-version": input.string({
    default: "17",
    pattern: /^1[0-8]$/,
    hint: "Give the server's PostgreSQL major version, from 10 to 18, such as 17.",
  }),
  // PostgreSQL only: the lint and the sql runner speak its dialect. Never echoed back in an error.
  "database-url": input.url({
    secret: true,
    protocols: ["postgres:", "postgresql:"],
    credentials: "allow",
    example: "postgres://user:<password>@host:5432/database",
  }),
  "database-url-env": input.string({
    default: "DATABASE_URL",
    pattern: /^[A-Za-z_][A-Za-z0-9_]*$/,
    hint: "Give an environment variable name such as DATABASE_URL.",
  }),
  // A command line, run without a shell: quotes group words, nothing is expanded.
  command: input.text({ maxLength: 4_096 }),
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
  cluster: input.string({ pattern: CLUSTER, hint: "Give the cluster's name or ARN." }),
  service: input.string({ pattern: SERVICE, hint: "Give the service's name or ARN." }),
  "task-definition": input.string({
    pattern: /^(arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:task-definition\/)?[a-zA-Z0-9_-]{1,255}(:\d+)?$/,
    hint: "Give the task definition's family, family:revision or ARN.",
  }),
  container: input.string({
    pattern: /^[a-zA-Z0-9_-]{1,255}$/,
    hint: "Give the container's name from the task definition.",
  }),
  timeout: input.duration({ default: "30m", min: "10s", max: "12h" }),
  "poll-interval": input.duration({ default: "5s", min: "1s", max: "5m" }),
  "log-tail-lines": input.integer({ default: "50", min: 1, max: 1000 }),
  ...awsInputSpec,
} satisfies InputSpec;

export type Inputs = InputValues<typeof inputSpec>;
