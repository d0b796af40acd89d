// The markdown of the notes: categories of changes, reverted pairs, contributors, the deployment and
// how to roll it back, capped below GitHub's release body limit with a link to the full comparison.
import type { Change, Contributor, ReleaseChanges } from "./changes";
import type { IssueKeyRule } from "./config";
import {
  type DeploymentFacts,
  deploymentRecord,
  digestOfImage,
  hasDeploymentFacts,
  rollbackStep,
  taskDefinitionRevision,
} from "./deployment";

/** GitHub refuses release bodies over 125,000 characters; stay clear of it for the human text. */
export const RELEASE_BODY_LIMIT = 125_000;

export interface RenderContext {
  /** https://github.com/owner/repo */
  repositoryUrl: string;
  tag: string;
  previousTag: string | undefined;
  issueKeys: readonly IssueKeyRule[];
  deployment: DeploymentFacts;
  /** Upper bound on the rendered length. */
  maxLength: number;
}

export interface RenderedNotes {
  markdown: string;
  /** Changes left out of the list to stay under maxLength. */
  omitted: number;
  compareUrl: string;
}

export function compareUrl(repositoryUrl: string, previousTag: string | undefined, tag: string): string {
  return previousTag
    ? `${repositoryUrl}/compare/${encodeURIComponent(previousTag)}...${encodeURIComponent(tag)}`
    : `${repositoryUrl}/commits/${encodeURIComponent(tag)}`;
}

/** Escapes what would turn a title into HTML (or a fake shipline marker) inside the release body. */
export function escapeText(text: string): string {
  return text
    .replace(/&(?!#?\w+;)/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;");
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Links `#123` to the repository's issues and `ABC-42` keys to their configured tracker. */
export function linkIssueKeys(text: string, repositoryUrl: string, rules: readonly IssueKeyRule[]): string {
  let out = text.replace(
    /(^|[\s([,;:])#(\d+)\b/g,
    (_, before: string, number: string) => `${before}[#${number}](${repositoryUrl}/issues/${number})`,
  );
  for (const rule of rules) {
    const pattern = new RegExp(`(^|[^\\w/-])((?:${rule.prefixes.map(escapeRegExp).join("|")})-\\d+)\\b`, "g");
    out = out.replace(
      pattern,
      (_, before: string, key: string) =>
        `${before}[${key}](${rule.url.replace("{key}", encodeURIComponent(key))})`,
    );
  }
  return out;
}

function displayTitle(change: Change): string {
  // A squash commit's subject ends with its own PR number; any other reference is kept.
  const own = change.pullRequest ? ` (#${change.pullRequest.number})` : undefined;
  const strip = (text: string): string => (own && text.endsWith(own) ? text.slice(0, -own.length) : text);
  const header = change.header;
  if (!header) return strip(change.title);
  const description = strip(header.description);
  return header.scope ? `**${header.scope}:** ${description}` : description;
}

function authorText(change: Change): string {
  const author = change.author;
  if (!author) return "";
  return author.login ? ` by @${author.login}` : ` by ${escapeText(author.name)}`;
}

function changeReference(change: Change, repositoryUrl: string): string {
  if (change.pullRequest) return `[#${change.pullRequest.number}](${change.pullRequest.url})`;
  const sha = change.landing[0]?.sha ?? change.key.replace(/^commit:/, "");
  return `[\`${sha.slice(0, 7)}\`](${repositoryUrl}/commit/${sha})`;
}

export function changeLine(
  change: Change,
  context: Pick<RenderContext, "repositoryUrl" | "issueKeys">,
): string {
  const title = linkIssueKeys(escapeText(displayTitle(change)), context.repositoryUrl, context.issueKeys);
  let line = `- ${title} (${changeReference(change, context.repositoryUrl)})${authorText(change)}`;
  if (change.breaking && change.breakingNote) {
    line += `\n  - ${linkIssueKeys(escapeText(change.breakingNote), context.repositoryUrl, context.issueKeys)}`;
  }
  return line;
}

function contributorName(contributor: Contributor): string {
  return contributor.login ? `@${contributor.login}` : escapeText(contributor.name);
}

function contributorsBlock(changes: ReleaseChanges, repositoryUrl: string): string[] {
  if (changes.contributors.length === 0) return [];
  const lines = ["## Contributors", "", changes.contributors.map(contributorName).join(", ")];
  const firstTime = changes.contributors.filter((contributor) => contributor.firstTime);
  if (firstTime.length > 0) {
    lines.push("", "### First-time contributors", "");
    for (const contributor of firstTime) {
      lines.push(
        `- ${contributorName(contributor)} made their first contribution in ${changeReference(contributor.firstChange, repositoryUrl)}`,
      );
    }
  }
  return lines;
}

function revertsBlock(changes: ReleaseChanges, context: RenderContext): string[] {
  if (changes.reverts.length === 0) return [];
  const reference = (change: Change): string =>
    `${escapeText(displayTitle(change))} (${changeReference(change, context.repositoryUrl)})`;
  const items = changes.reverts.map(
    (pair) => `- ${pair.reverted.map(reference).join(", ")}, reverted by ${reference(pair.revert)}`,
  );
  return [
    "<details><summary>Reverted within this release (left out above)</summary>",
    "",
    ...items,
    "",
    "</details>",
  ];
}

const VERDICT_TEXT = { pass: "passed", fail: "**failed**", inconclusive: "inconclusive" } as const;

function healthReportLines(report: unknown): string[] {
  if (report === undefined) return [];
  const lines: string[] = [];
  if (typeof report === "object" && report !== null && !Array.isArray(report)) {
    const record = report as Record<string, unknown>;
    const failed = record.failedChecks ?? record["failed-checks"];
    if (Array.isArray(failed) && failed.length > 0) {
      lines.push(
        `Failed checks: ${failed.map((check) => `\`${escapeText(String(check))}\``).join(", ")}.`,
        "",
      );
    }
  }
  let json = JSON.stringify(report, null, 2);
  if (json.length > 4000) json = `${json.slice(0, 4000)}\n... (truncated)`;
  lines.push(
    "<details><summary>Health-gate report</summary>",
    "",
    "```json",
    json.replace(/```/g, "`\u200b``"),
    "```",
    "",
    "</details>",
  );
  return lines;
}

export function deploymentBlock(facts: DeploymentFacts): string[] {
  if (!hasDeploymentFacts(facts)) return [];
  const lines = ["## Deployment", ""];
  const rows: [string, string][] = [];
  const digest = facts.digest ?? (facts.image ? digestOfImage(facts.image) : undefined);
  if (facts.image) rows.push(["Image", `\`${facts.image}\``]);
  if (digest) rows.push(["Digest", `\`${digest}\``]);
  if (facts.taskDefinitionArn) {
    rows.push([
      "Task definition",
      `\`${taskDefinitionRevision(facts.taskDefinitionArn)}\` (\`${facts.taskDefinitionArn}\`)`,
    ]);
  }
  if (facts.migrations) {
    const destructive = facts.migrations.filter((m) => m.destructive).length;
    rows.push([
      "Migrations",
      facts.migrations.length === 0
        ? "none"
        : `${facts.migrations.length}${destructive > 0 ? ` (**${destructive} destructive**)` : ""}`,
    ]);
  }
  if (facts.verdict) rows.push(["Health gate", VERDICT_TEXT[facts.verdict]]);
  if (rows.length > 0) {
    lines.push(
      "| | |",
      "| --- | --- |",
      ...rows.map(([name, value]) => `| ${name} | ${value.replace(/\|/g, "\\|")} |`),
      "",
    );
  }
  if (facts.migrations && facts.migrations.length > 0) {
    lines.push("Migrations in this release:", "");
    for (const migration of facts.migrations) {
      lines.push(`- \`${escapeText(migration.file)}\`${migration.destructive ? " — **destructive**" : ""}`);
    }
    lines.push("");
  }
  lines.push(...healthReportLines(facts.healthReport));
  if (facts.healthReport !== undefined) lines.push("");

  const previousArn = facts.previousTaskDefinitionArn ?? facts.previous?.taskDefinitionArn;
  lines.push("### Rolling back", "");
  if (!previousArn) {
    lines.push(
      "The previous task definition is not known to these notes (pass `previous-task-definition-arn` from ecs-deploy).",
      "",
    );
  } else {
    // The previous release's digest belongs to the revision it recorded: said only beside that one.
    const sameRevision = facts.previous?.taskDefinitionArn === previousArn;
    const previousDigest = sameRevision ? facts.previous?.digest : undefined;
    const from =
      facts.previous && sameRevision ? ` (recorded by the ${escapeText(facts.previous.tag)} release)` : "";
    lines.push(
      `The previous release ran task definition \`${taskDefinitionRevision(previousArn)}\`` +
        (previousDigest ? ` with image digest \`${previousDigest}\`${from}.` : "."),
      "",
    );
    if (facts.migrations?.some((m) => m.destructive)) {
      lines.push(
        "> [!WARNING]",
        "> This release applied a destructive migration. Putting the previous task definition back does not",
        "> bring back what it removed, and auto-rollback refuses to roll back over it. Check the previous",
        "> version works with the new schema, or restore from the pre-migration snapshot, or roll forward.",
        "",
      );
    }
    lines.push("To put it back, run this step:", "", "```yaml", rollbackStep(facts, previousArn), "```", "");
  }
  const record = deploymentRecord(facts);
  if (record) lines.push(record, "");
  return lines;
}

/**
 * Renders the notes. When the whole list would not fit in maxLength, changes are listed in section
 * order until it is used up, and the rest is counted with a link to the full comparison.
 */
export function renderNotes(changes: ReleaseChanges, context: RenderContext): RenderedNotes {
  const compare = compareUrl(context.repositoryUrl, context.previousTag, context.tag);
  const head: string[] = [];
  if (changes.listed === 0) head.push("_No changes to list in this release._", "");
  const tail: string[] = [];
  const reverts = revertsBlock(changes, context);
  if (reverts.length > 0) tail.push(...reverts, "");
  const contributors = contributorsBlock(changes, context.repositoryUrl);
  if (contributors.length > 0) tail.push(...contributors, "");
  const deployment = deploymentBlock(context.deployment);
  if (deployment.length > 0) tail.push(...deployment);
  const changelog = context.previousTag
    ? `**Full changelog**: [${escapeText(context.previousTag)}...${escapeText(context.tag)}](${compare})`
    : `**Full history**: [${escapeText(context.tag)}](${compare})`;
  tail.push(changelog);

  const fixed = head.join("\n").length + tail.join("\n").length + 2;
  // Room for the "and N more" line of each section and the notice at the top.
  const reserve = 300 + changes.sections.length * 200;
  let budget = context.maxLength - fixed - reserve;
  let omitted = 0;
  const body: string[] = [];
  for (const section of changes.sections) {
    const heading = `## ${escapeText(section.title)}`;
    const sectionLines: string[] = [];
    let left = 0;
    for (const change of section.changes) {
      const line = changeLine(change, context);
      if (budget - line.length - 1 < 0) {
        left++;
        continue;
      }
      budget -= line.length + 1;
      sectionLines.push(line);
    }
    omitted += left;
    if (sectionLines.length === 0 && left === 0) continue;
    body.push(heading, "", ...sectionLines);
    if (left > 0) body.push(`- … and ${left} more: see the [full changelog](${compare})`);
    body.push("");
    budget -= heading.length + 2;
  }
  if (omitted > 0) {
    head.unshift(
      `> [!NOTE]`,
      `> ${omitted} of ${changes.listed} changes are not listed, to keep these notes within GitHub's size limit. The [full changelog](${compare}) has them all.`,
      "",
    );
  }
  const markdown = `${[...head, ...body, ...tail].join("\n").trimEnd()}\n`;
  if (markdown.length > context.maxLength) {
    // Only the fixed parts (a huge health report or contributor list) can get here.
    throw new Error(
      `release notes of ${markdown.length} characters exceed the limit of ${context.maxLength}`,
    );
  }
  return { markdown, omitted, compareUrl: compare };
}
