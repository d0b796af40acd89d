// Did staging prove this very image? A pure judge of the staging environment's recorded deployments:
// the same digest (not only the same commit) deployed there, its newest deployment's latest status a
// success, a health-gate pass recorded on it, no later failure or rollback of that digest, and served
// for at least the minimum age since the gate passed.

import { outcomeStatus, type RecordedDeployment, type RecordedStatus } from "../github/deployment-record";
import { formatDuration } from "../runtime/format";
import { check, type Evidence, type PreflightCheck } from "./report";

export interface StagingQuestion {
  environment: string;
  /** The digests production would run (every one must have been proven). */
  digests: readonly string[];
  /** The commit being released, to tell "built again" from "never deployed". */
  sha: string;
  minAgeMs: number;
  /** GitHub's now. */
  now: number;
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

function short(digest: string): string {
  return digest.replace(/^sha256:/, "sha256:").slice(0, 19);
}

/** The deployment's digests. */
export function digestsOf(deployment: RecordedDeployment): string[] {
  if (deployment.payload.shipline !== "ecs-deploy") return [];
  return deployment.payload.containers.flatMap((c) => (c.digest ? [c.digest] : []));
}

function provesAll(deployment: RecordedDeployment, digests: readonly string[]): boolean {
  const held = new Set(digestsOf(deployment));
  return digests.length > 0 && digests.every((d) => held.has(d));
}

function deploymentEvidence(d: RecordedDeployment, environment: string): Evidence[] {
  const run = d.statuses.find((s) => s.logUrl)?.logUrl;
  return [
    {
      label: "staging deployment",
      value: `#${d.id} in ${environment} (${d.payload.taskDefinitionArn.split("/").pop()})`,
      url: d.url,
    },
    ...(run ? [{ label: "run", value: run, url: run }] : []),
  ];
}

/** The statuses that undo a deployment: a failure, an error, or a rollback mark. */
function isBad(status: RecordedStatus): boolean {
  return status.state === "failure" || status.state === "error" || status.mark?.kind === "rolled-back";
}

/**
 * `deployments` are the staging environment's, newest first; the ones whose statuses matter (those
 * that carry the digests) must have their statuses read.
 */
export function judgeStaging(
  question: StagingQuestion,
  deployments: readonly RecordedDeployment[],
): PreflightCheck {
  const { environment, digests, now } = question;
  const digestText = digests.map(short).join(", ");
  const baseEvidence: Evidence[] = digests.map((d) => ({ label: "image digest", value: d }));
  const candidates = deployments.filter((d) => provesAll(d, digests));
  const proof = candidates[0];
  if (!proof) {
    const sameCommit = deployments.find((d) => d.sha === question.sha && d.payload.shipline === "ecs-deploy");
    const seen = sameCommit ? digestsOf(sameCommit) : [];
    return check(
      "staging",
      "fail",
      sameCommit
        ? `Staging deployment #${sameCommit.id} ran commit ${question.sha.slice(0, 7)} as ${seen.map(short).join(", ") || "an image without a recorded digest"}, not ${digestText}: the image was built again, so staging did not prove it.`
        : `No deployment to ${environment} recorded image ${digestText}.`,
      [...baseEvidence, ...(sameCommit ? deploymentEvidence(sameCommit, environment) : [])],
      "Deploy this very image to staging (the merge to main does) and let its health gate pass, then release it; promote the image staging verified instead of building it again.",
    );
  }
  const evidence = [...baseEvidence, ...deploymentEvidence(proof, environment)];
  const latest = outcomeStatus(proof.statuses);
  const gatePass = proof.statuses.find((s) => s.mark?.kind === "gate" && s.mark.verdict === "pass");
  const gateOther = proof.statuses.find((s) => s.mark?.kind === "gate" && s.mark.verdict !== "pass");
  const fail = (summary: string, fix: string, more: Evidence[] = []): PreflightCheck =>
    check("staging", "fail", summary, [...evidence, ...more], fix);
  const redeploy =
    "Fix the cause, merge the fix, and let staging prove the new image; this one must not reach production.";
  if (gateOther && (!gatePass || gateOther.at >= gatePass.at)) {
    const verdict = gateOther.mark?.kind === "gate" ? gateOther.mark.verdict : "";
    return fail(
      `The health gate ${verdict === "fail" ? "failed" : `was ${verdict}`} on staging deployment #${proof.id} at ${iso(gateOther.at)}: ${gateOther.description.replace(/^\[[^\]]*\] ?/, "")}`,
      redeploy,
      [{ label: "gate verdict", value: `${verdict} at ${iso(gateOther.at)}` }],
    );
  }
  const later = gatePass && proof.statuses.find((s) => s.at > gatePass.at && isBad(s));
  if (later) {
    return fail(
      `Staging deployment #${proof.id} passed its gate at ${iso(gatePass.at)}, then ${later.mark?.kind === "rolled-back" ? "was rolled back" : `went ${later.state}`} at ${iso(later.at)}: ${later.description.replace(/^\[[^\]]*\] ?/, "")}`,
      redeploy,
    );
  }
  if (latest?.state !== "success") {
    return fail(
      `Staging deployment #${proof.id}'s latest status is ${latest ? `${latest.state} (${latest.description})` : "missing"}, not success.`,
      redeploy,
    );
  }
  if (!gatePass) {
    return fail(
      `Staging deployment #${proof.id} has no health-gate verdict recorded: its success says the rollout finished, not that the gate passed.`,
      "Give health-gate the deployment's id (`deployment-id` from ecs-deploy) and a token in the staging workflow, and deploy again.",
    );
  }
  // A later deployment of the same digest that failed, or a rollback away from it.
  const newer = deployments.filter(
    (d) => d.createdAt > proof.createdAt || (d.createdAt === proof.createdAt && d.id > proof.id),
  );
  const rolledBackFrom = new Set(candidates.map((c) => c.payload.taskDefinitionArn));
  const rollback = newer.find(
    (d) =>
      d.payload.shipline === "auto-rollback" &&
      d.payload.rolledBackFrom.some((arn) => rolledBackFrom.has(arn)),
  );
  if (rollback) {
    return fail(
      `Staging rolled back from this image at ${iso(rollback.createdAt)} (deployment #${rollback.id}).`,
      redeploy,
      [{ label: "rollback", value: `#${rollback.id}`, url: rollback.url }],
    );
  }
  const gateAt = gatePass.at;
  evidence.push({ label: "gate passed", value: iso(gateAt) });
  // It served until another deployment replaced it (or until now).
  const replacedBy = [...newer].reverse().find((d) => d.createdAt >= gateAt);
  const servedUntil = replacedBy ? Math.min(replacedBy.createdAt, now) : now;
  const served = Math.max(0, servedUntil - gateAt);
  if (served < question.minAgeMs) {
    if (replacedBy) {
      return fail(
        `The image served staging for ${formatDuration(served)} after its gate passed (${iso(gateAt)}) before deployment #${replacedBy.id} replaced it; it needs ${formatDuration(question.minAgeMs)}.`,
        "Deploy the image to staging again and let it serve for `min-staging-age`, or lower `min-staging-age`.",
        [
          {
            label: "replaced by",
            value: `#${replacedBy.id} at ${iso(replacedBy.createdAt)}`,
            url: replacedBy.url,
          },
        ],
      );
    }
    const left = question.minAgeMs - served;
    return fail(
      `Staging passed its gate ${formatDuration(served)} ago (${iso(gateAt)}); it needs ${formatDuration(question.minAgeMs)} in staging: ${formatDuration(left)} left, ready at ${iso(gateAt + question.minAgeMs)}.`,
      `Re-run this job after ${iso(gateAt + question.minAgeMs)}.`,
      [{ label: "time left", value: formatDuration(left) }],
    );
  }
  return check(
    "staging",
    "pass",
    `Staging deployment #${proof.id} ran ${digestText}, passed its gate at ${iso(gateAt)} and served ${formatDuration(served)}${replacedBy ? ` until #${replacedBy.id}` : " so far"} with no failure or rollback since.`,
    [...evidence, { label: "served", value: formatDuration(served) }],
  );
}
