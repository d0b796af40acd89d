// What a deploy would change in a task definition, for plan mode (a pull request check): images,
// environment variable and secret names (values and secret sources never shown), environment files,
// Docker labels, the log driver and options, cpu and memory, roles, and which other fields differ.
import type { TaskDefinition } from "@aws-sdk/client-ecs";
import { cell } from "../runtime/summary";
import { canonicalTaskDefinition, type TaskDefinitionInput } from "./task-definition";

export interface TaskDefinitionChange {
  /** "task" or the container name. */
  scope: string;
  /** What changed: "image", "env LOG_LEVEL", "cpu", "taskRoleArn", "command", "container". */
  field: string;
  kind: "added" | "removed" | "changed";
  /** Shown values; undefined where the value is masked or there is none. */
  before?: string | undefined;
  after?: string | undefined;
  masked?: boolean;
}

/** Task-level fields shown with their values (none of them secret). */
const SHOWN_TASK_FIELDS = [
  "family",
  "cpu",
  "memory",
  "taskRoleArn",
  "executionRoleArn",
  "networkMode",
  "requiresCompatibilities",
  "runtimePlatform",
  "ephemeralStorage",
];
/** Container fields shown with their values. */
const SHOWN_CONTAINER_FIELDS = ["image", "cpu", "memory", "memoryReservation", "essential"];

type Canonical = Record<string, unknown>;

function show(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  return typeof value === "string" || typeof value === "number" || typeof value === "boolean"
    ? String(value)
    : JSON.stringify(value);
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function kindOf(before: unknown, after: unknown): TaskDefinitionChange["kind"] {
  return before === undefined ? "added" : after === undefined ? "removed" : "changed";
}

function namedValues(list: unknown, valueKey: string): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const item of Array.isArray(list) ? (list as Record<string, unknown>[]) : []) {
    if (typeof item.name === "string") out.set(item.name, item[valueKey]);
  }
  return out;
}

function diffNamed(
  scope: string,
  label: string,
  before: Map<string, unknown>,
  after: Map<string, unknown>,
  masked: boolean,
): TaskDefinitionChange[] {
  const changes: TaskDefinitionChange[] = [];
  for (const name of [...new Set([...before.keys(), ...after.keys()])].sort()) {
    const a = before.get(name);
    const b = after.get(name);
    if (before.has(name) && after.has(name) && same(a, b)) continue;
    const change: TaskDefinitionChange = {
      scope,
      field: `${label} ${name}`,
      kind: !before.has(name) ? "added" : !after.has(name) ? "removed" : "changed",
    };
    if (masked) change.masked = true;
    else {
      change.before = show(a);
      change.after = show(b);
    }
    changes.push(change);
  }
  return changes;
}

function diffContainer(name: string, before: Canonical, after: Canonical): TaskDefinitionChange[] {
  const changes: TaskDefinitionChange[] = [];
  for (const field of SHOWN_CONTAINER_FIELDS) {
    if (!same(before[field], after[field])) {
      changes.push({
        scope: name,
        field,
        kind: kindOf(before[field], after[field]),
        before: show(before[field]),
        after: show(after[field]),
      });
    }
  }
  // Values of environment variables may be credentials: names only.
  changes.push(
    ...diffNamed(
      name,
      "env",
      namedValues(before.environment, "value"),
      namedValues(after.environment, "value"),
      true,
    ),
  );
  // Secrets by name only: where a secret lives says which one a reader should go after.
  changes.push(
    ...diffNamed(
      name,
      "secret",
      namedValues(before.secrets, "valueFrom"),
      namedValues(after.secrets, "valueFrom"),
      true,
    ),
  );
  const files = (c: Canonical) =>
    new Map(
      ((c.environmentFiles as { value?: string }[] | undefined) ?? []).map((f) => [f.value ?? "", f.value]),
    );
  changes.push(...diffNamed(name, "environment file", files(before), files(after), false));
  const entries = (value: unknown) => new Map(Object.entries((value as Record<string, unknown>) ?? {}));
  changes.push(...diffNamed(name, "label", entries(before.dockerLabels), entries(after.dockerLabels), false));
  const log = (c: Canonical) => (c.logConfiguration ?? {}) as Canonical;
  if (!same(log(before).logDriver, log(after).logDriver)) {
    changes.push({
      scope: name,
      field: "log driver",
      kind: kindOf(log(before).logDriver, log(after).logDriver),
      before: show(log(before).logDriver),
      after: show(log(after).logDriver),
    });
  }
  changes.push(
    ...diffNamed(name, "log option", entries(log(before).options), entries(log(after).options), false),
  );
  if (!same(log(before).secretOptions, log(after).secretOptions)) {
    changes.push({
      scope: name,
      field: "log secret options",
      kind: kindOf(log(before).secretOptions, log(after).secretOptions),
      masked: true,
    });
  }
  const handled = new Set([
    ...SHOWN_CONTAINER_FIELDS,
    "environment",
    "secrets",
    "environmentFiles",
    "dockerLabels",
    "logConfiguration",
    "name",
  ]);
  for (const field of [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()) {
    if (handled.has(field) || same(before[field], after[field])) continue;
    // Other fields (command, health check, ports...) may embed credentials: say what changed, not to what.
    changes.push({ scope: name, field, kind: kindOf(before[field], after[field]), masked: true });
  }
  return changes;
}

/** The changes from `current` (what the service runs) to `next` (what would be registered). */
export function diffTaskDefinitions(
  current: TaskDefinition | TaskDefinitionInput,
  next: TaskDefinition | TaskDefinitionInput,
): TaskDefinitionChange[] {
  const before = canonicalTaskDefinition(current);
  const after = canonicalTaskDefinition(next);
  const changes: TaskDefinitionChange[] = [];
  for (const field of SHOWN_TASK_FIELDS) {
    if (!same(before[field], after[field])) {
      changes.push({
        scope: "task",
        field,
        kind: kindOf(before[field], after[field]),
        before: show(before[field]),
        after: show(after[field]),
      });
    }
  }
  const containersOf = (c: Canonical) =>
    new Map(((c.containerDefinitions as Canonical[] | undefined) ?? []).map((d) => [String(d.name), d]));
  const a = containersOf(before);
  const b = containersOf(after);
  for (const name of [...new Set([...a.keys(), ...b.keys()])].sort()) {
    const x = a.get(name);
    const y = b.get(name);
    if (!x || !y) {
      changes.push({
        scope: name,
        field: "container",
        kind: x ? "removed" : "added",
        before: show(x?.image),
        after: show(y?.image),
      });
      continue;
    }
    changes.push(...diffContainer(name, x, y));
  }
  const handled = new Set([...SHOWN_TASK_FIELDS, "containerDefinitions"]);
  for (const field of [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()) {
    if (handled.has(field) || same(before[field], after[field])) continue;
    changes.push({ scope: "task", field, kind: kindOf(before[field], after[field]), masked: true });
  }
  return changes;
}

function value(text: string | undefined, masked: boolean | undefined): string {
  if (masked) return "•••";
  return text === undefined ? "" : `\`${text}\``;
}

/** A markdown table of the changes (values of masked fields shown as •••). */
export function changesTable(changes: readonly TaskDefinitionChange[]): string {
  const rows = changes.map(
    (c) =>
      `| ${cell(c.scope)} | ${cell(c.field)} | ${c.kind} | ${cell(value(c.before, c.masked && c.kind !== "added"))} | ${cell(value(c.after, c.masked && c.kind !== "removed"))} |`,
  );
  return ["| Where | What | Change | Before | After |", "| --- | --- | --- | --- | --- |", ...rows].join(
    "\n",
  );
}

/** One line per change, for the log. */
export function describeChanges(changes: readonly TaskDefinitionChange[]): string[] {
  return changes.map((c) => {
    const where = c.scope === "task" ? c.field : `${c.scope} ${c.field}`;
    if (c.masked) return `${where}: ${c.kind} (value not shown)`;
    if (c.kind === "added") return `${where}: added ${c.after ?? ""}`.trimEnd();
    if (c.kind === "removed") return `${where}: removed (was ${c.before ?? ""})`;
    return `${where}: ${c.before ?? ""} -> ${c.after ?? ""}`;
  });
}
