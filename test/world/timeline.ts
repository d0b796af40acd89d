// The demo's readable timeline: one line per trigger, job and step, with what each step decided, and
// the first error of a failed step.
import { relative } from "node:path";
import { ROOT } from "../repo/layout";
import type { RunnerEvent, StepRecord } from "./runner/run-workflow";
import type { ShopRelease } from "./shop-repo";

function short(value: string | undefined, length = 7): string {
  return (value ?? "").slice(0, length);
}

function revision(arn: string | undefined): string {
  return (arn ?? "").split("/").at(-1) ?? "";
}

function json<T>(text: string | undefined): T | undefined {
  try {
    return text ? (JSON.parse(text) as T) : undefined;
  } catch {
    return undefined;
  }
}

/** One line on what a shipline step decided, from its outputs. */
export function stepResult(step: StepRecord): string {
  const o = step.outputs;
  switch (step.action) {
    case "build-push": {
      const tags = json<string[]>(o.tags) ?? [];
      const image = (o.image ?? "").replace(/@sha256:(\w{12})\w+$/, "@sha256:$1…");
      return o.built === "true"
        ? `built and pushed ${image}`
        : `${image}, tags ${tags.join(", ")} (no build)`;
    }
    case "migrate": {
      const applied = json<string[]>(o.applied) ?? [];
      const snapshot = o["snapshot-id"] ? `, snapshot ${o["snapshot-id"]} first` : "";
      return `${applied.length ? `applied ${applied.join(", ")}` : "nothing to apply"}${snapshot}; destructive ${o.destructive}`;
    }
    case "ecs-deploy":
      return `${o.status ?? "failed"}: ${revision(o["task-definition-arn"])} on ${"web"} (rollback target ${revision(o["previous-task-definition-arn"]) || "none"})`;
    case "health-gate": {
      const report = json<{ reason?: string }>(o.report);
      return `${o.verdict ?? "no verdict"}: ${(report?.reason ?? "").split("\n")[0]?.slice(0, 140)}`;
    }
    case "auto-rollback":
      return `rolled back ${o["rolled-back"] === "true" ? "" : "NOT "}to ${revision(o["task-definition-arn"])} from ${revision(o["rolled-back-from"])} (${o.action ?? "?"})${o["incident-issue-url"] ? `, incident ${o["incident-issue-url"]}` : ""}`;
    case "release-notes":
      return `release ${o["release-url"] ?? ""}`;
    case "preflight": {
      const failed = json<string[]>(o["failed-checks"]) ?? [];
      return `${o.verdict ?? "no verdict"}${failed.length ? ` (failed: ${failed.join(", ")})` : ""}`;
    }
    default:
      return Object.entries(o)
        .map(([k, v]) => `${k}=${v}`)
        .join(" ");
  }
}

/** The runbook's checklist preflight judged: one line per check, ticked or not, with what it found. */
export function preflightChecklist(step: StepRecord): string[] {
  const report = json<{ checks?: { title: string; status: string; summary: string }[] }>(step.outputs.report);
  const box: Record<string, string> = { pass: "[x]", overridden: "[x]", fail: "[ ]", off: "[-]" };
  return (report?.checks ?? []).map(
    (c) =>
      `${box[c.status] ?? "[?]"} ${c.title}${c.status === "off" ? " (turned off)" : `: ${c.summary.slice(0, 160)}`}`,
  );
}

export class Timeline {
  readonly #started = Date.now();
  readonly #print: (line: string) => void;

  constructor(print: (line: string) => void = (line) => console.log(line)) {
    this.#print = print;
  }

  elapsed(): number {
    return (Date.now() - this.#started) / 1000;
  }

  blank(): void {
    this.#print("");
  }

  line(text: string, indent = 0): void {
    const clock = `[${this.elapsed().toFixed(1).padStart(6)}s]`;
    this.#print(`${clock} ${"  ".repeat(indent)}${text}`);
  }

  trigger(trigger: string, release: ShopRelease): void {
    this.blank();
    const what = trigger.startsWith("tag")
      ? `${release.tag}: ${release.story}`
      : `merge of ${release.tag}'s changes`;
    this.line(`● ${trigger} at ${short(release.sha)} (${what})`);
  }

  event(event: RunnerEvent): void {
    switch (event.kind) {
      case "job-start":
        this.line(`job ${event.job.name}`, 1);
        break;
      case "job-skipped":
        this.line(`job ${event.job.name}: skipped`, 1);
        break;
      case "approval":
        this.line(
          `environment ${event.environment}: approved (on GitHub, a required reviewer of the environment)`,
          2,
        );
        break;
      case "step-end": {
        const { step } = event;
        if (!step.action) {
          if (step.id === "shipline")
            this.line(`located shipline at ${step.outputs.repository}@${short(step.outputs.sha, 12)}`, 2);
          return;
        }
        const mark = step.outcome === "success" ? "✔" : "✘";
        this.line(
          `${mark} ${step.name} (${step.action}, ${(step.durationMs / 1000).toFixed(1)}s): ${stepResult(step)}`,
          2,
        );
        if (step.action === "preflight") for (const line of preflightChecklist(step)) this.line(line, 3);
        if (step.outcome === "failure") {
          const error = step.run?.errors[0]?.message.split("\n")[0];
          if (error) this.line(`  ${error.slice(0, 200)}`, 2);
        }
        break;
      }
      case "step-skipped":
        if (event.step.action)
          this.line(`– ${event.step.name} (${event.step.action}): skipped, if: ${event.condition}`, 2);
        break;
      case "job-end":
        if (event.job.result === "failure") this.line(`job ${event.job.name} failed`, 1);
        break;
      default:
        break;
    }
  }

  files(steps: StepRecord[]): void {
    this.blank();
    this.#print("Step summaries (Markdown, as GitHub shows them on the run page) and logs:");
    for (const step of steps) {
      if (step.summaryFile)
        this.#print(`  ${relative(ROOT, step.summaryFile)}  (log: ${relative(ROOT, step.logFile ?? "")})`);
    }
  }
}
