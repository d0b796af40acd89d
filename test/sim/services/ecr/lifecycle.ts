// ECR lifecycle policies: the rules that expire images (by age since push, or beyond a count), as ECR
// applies them: rules in priority order, each image judged by the first rule that selects it. ECR
// evaluates a policy within a day of an image qualifying; the simulator expires it as soon as the
// simulated clock says it qualifies, at the next ECR call.
import { invalidParameter } from "../../framework/errors";

export interface LifecycleRule {
  rulePriority: number;
  tagStatus: "tagged" | "untagged" | "any";
  tagPrefixList: string[];
  countType: "imageCountMoreThan" | "sinceImagePushed";
  countNumber: number;
}

export interface PolicyImage {
  digest: string;
  tags: readonly string[];
  pushedAt: number;
}

const DAY_MS = 86_400_000;

/** Reads lifecyclePolicyText as ECR validates it; throws InvalidParameterException. */
export function parseLifecyclePolicy(text: string): LifecycleRule[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw invalidParameter(
      "Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: 'Lifecycle policy validation failure: Could not map policyString into LifecyclePolicy.'",
    );
  }
  const rules = (parsed as { rules?: unknown }).rules;
  if (!Array.isArray(rules) || rules.length === 0)
    throw invalidParameter(
      "Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: 'Lifecycle policy validation failure: rules must not be empty.'",
    );
  const out = rules.map((raw: Record<string, unknown>) => {
    const selection = (raw.selection ?? {}) as Record<string, unknown>;
    const action = (raw.action ?? {}) as Record<string, unknown>;
    const rule: LifecycleRule = {
      rulePriority: Number(raw.rulePriority),
      tagStatus: selection.tagStatus as LifecycleRule["tagStatus"],
      tagPrefixList: Array.isArray(selection.tagPrefixList) ? selection.tagPrefixList.map(String) : [],
      countType: selection.countType as LifecycleRule["countType"],
      countNumber: Number(selection.countNumber),
    };
    const problem =
      !Number.isInteger(rule.rulePriority) || rule.rulePriority < 1
        ? "rulePriority must be a positive integer"
        : !["tagged", "untagged", "any"].includes(rule.tagStatus)
          ? "tagStatus must be tagged, untagged or any"
          : rule.tagStatus === "tagged" && rule.tagPrefixList.length === 0
            ? "tagPrefixList is required when tagStatus is tagged"
            : !["imageCountMoreThan", "sinceImagePushed"].includes(rule.countType)
              ? "countType must be imageCountMoreThan or sinceImagePushed"
              : rule.countType === "sinceImagePushed" && selection.countUnit !== "days"
                ? "countUnit must be days with sinceImagePushed"
                : !Number.isInteger(rule.countNumber) || rule.countNumber < 1
                  ? "countNumber must be a positive integer"
                  : action.type !== "expire"
                    ? "action.type must be expire"
                    : undefined;
    if (problem)
      throw invalidParameter(
        `Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: 'Lifecycle policy validation failure: ${problem}.'`,
      );
    return rule;
  });
  if (new Set(out.map((r) => r.rulePriority)).size !== out.length)
    throw invalidParameter(
      "Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: 'Lifecycle policy validation failure: rulePriority must be unique.'",
    );
  return out.sort((a, b) => a.rulePriority - b.rulePriority);
}

function selects(rule: LifecycleRule, image: PolicyImage): boolean {
  if (rule.tagStatus === "untagged") return image.tags.length === 0;
  if (rule.tagStatus === "any") return true;
  return image.tags.some((t) => rule.tagPrefixList.some((p) => t.startsWith(p)));
}

/** The digests the rules expire at `now`. */
export function expiredBy(
  rules: readonly LifecycleRule[],
  images: readonly PolicyImage[],
  now: number,
): string[] {
  const judged = new Set<string>();
  const expired: string[] = [];
  for (const rule of rules) {
    const selected = images
      .filter((i) => !judged.has(i.digest) && selects(rule, i))
      .sort((a, b) => b.pushedAt - a.pushedAt);
    for (const [index, image] of selected.entries()) {
      judged.add(image.digest);
      const expire =
        rule.countType === "imageCountMoreThan"
          ? index >= rule.countNumber
          : now - image.pushedAt > rule.countNumber * DAY_MS;
      if (expire) expired.push(image.digest);
    }
  }
  return expired;
}
