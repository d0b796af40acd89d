// A caller's job that calls a reusable workflow, and what GitHub checks before any called job runs:
// every `with:` key is a declared input of the right type, every required input and secret is given,
// no undeclared secret is passed. The result is the `inputs` and `secrets` contexts the called jobs
// see, with the declared defaults (or GitHub's "", false and 0) for the inputs the caller left out.
import {
  type Permissions,
  type Scalar,
  shiplineWorkflow,
  type Workflow,
  type WorkflowCall,
} from "../../repo/workflow";
import { evaluateValue, interpolate } from "./expressions";

export interface CallContexts {
  inputs: Record<string, Scalar>;
  secrets: Record<string, string>;
}

const EMPTY: Record<string, Scalar> = { string: "", boolean: false, number: 0 };

/** Throws one error listing every problem with the call, as GitHub refuses the whole run. */
export function callContexts(
  file: string,
  call: WorkflowCall | undefined,
  given: {
    inputs: Record<string, Scalar>;
    secrets: Record<string, string>;
    token: string;
    /** The caller wrote `secrets: inherit`: every secret of its own goes, declared or not. */
    inherited?: boolean;
  },
): CallContexts {
  if (!call) throw new Error(`${file} has no on.workflow_call: it cannot be called`);
  const problems: string[] = [];
  const inputs: Record<string, Scalar> = {};
  for (const [name, value] of Object.entries(given.inputs)) {
    const declared = call.inputs[name];
    if (!declared) problems.push(`input ${name} is not defined in the called workflow`);
    else if (typeof value !== declared.type)
      problems.push(`input ${name} is a ${declared.type}, not the ${typeof value} ${JSON.stringify(value)}`);
    else inputs[name] = value;
  }
  for (const [name, declared] of Object.entries(call.inputs)) {
    if (name in given.inputs) continue;
    if (declared.required) problems.push(`input ${name} is required`);
    else inputs[name] = declared.default ?? (EMPTY[declared.type] as Scalar);
  }
  for (const name of Object.keys(given.secrets)) {
    if (!given.inherited && !(name in call.secrets))
      problems.push(`secret ${name} is not defined in the called workflow`);
  }
  for (const [name, declared] of Object.entries(call.secrets)) {
    if (declared.required && !given.secrets[name]) problems.push(`secret ${name} is required`);
  }
  if (problems.length > 0)
    throw new Error(`The call of ${file} is invalid:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  // The called workflow also sees the run's token as secrets.GITHUB_TOKEN.
  return { inputs, secrets: { ...given.secrets, GITHUB_TOKEN: given.token } };
}

/** What a caller's job passes to the shipline workflow it calls, evaluated in the caller's run. */
export interface CallerCall {
  /** The called workflow, by its path from the repository root. */
  workflow: string;
  inputs: Record<string, Scalar>;
  secrets: Record<string, string>;
  /** Whether the caller wrote `secrets: inherit`. */
  inherited: boolean;
  /** What the calling job grants the called jobs. */
  permissions: Permissions | undefined;
}

/**
 * Reads the call a caller workflow's job makes (an example caller, or one pasted from the README):
 * its `with:` evaluated against the caller's contexts (`github`, `vars`, `secrets`, ...) with each
 * whole-expression value keeping its type, and its `secrets:` (`inherit` passes the caller's own).
 */
export function callerCall(caller: Workflow, jobId: string, contexts: Record<string, unknown>): CallerCall {
  const job = caller.jobs[jobId];
  if (job?.kind !== "call") throw new Error(`${caller.file}: job ${jobId} calls no reusable workflow`);
  const workflow = shiplineWorkflow(job.uses);
  if (!workflow) throw new Error(`${caller.file}: job ${jobId} calls ${job.uses}, not a shipline workflow`);
  const status = { failed: false };
  const inputs: Record<string, Scalar> = {};
  for (const [name, value] of Object.entries(job.with)) inputs[name] = evaluateValue(value, contexts, status);
  const callerSecrets = (contexts.secrets ?? {}) as Record<string, string>;
  const secrets: Record<string, string> = {};
  if (job.secrets === "inherit") Object.assign(secrets, callerSecrets);
  else
    for (const [name, value] of Object.entries(job.secrets))
      secrets[name] = interpolate(value, contexts, status);
  return { workflow, inputs, secrets, inherited: job.secrets === "inherit", permissions: job.permissions };
}
