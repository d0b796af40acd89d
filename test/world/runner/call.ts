// What GitHub checks when a caller's job calls a reusable workflow, before any of its jobs runs: every
// `with:` key is a declared input of the right type, every required input and secret is given, no
// undeclared secret is passed. The result is the `inputs` and `secrets` contexts the called jobs see,
// with the declared defaults (or GitHub's "", false and 0) for the inputs the caller left out.
import type { Scalar, WorkflowCall } from "../../repo/workflow";

export interface CallContexts {
  inputs: Record<string, Scalar>;
  secrets: Record<string, string>;
}

const EMPTY: Record<string, Scalar> = { string: "", boolean: false, number: 0 };

/** Throws one error listing every problem with the call, as GitHub refuses the whole run. */
export function callContexts(
  file: string,
  call: WorkflowCall | undefined,
  given: { inputs: Record<string, Scalar>; secrets: Record<string, string>; token: string },
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
    if (!(name in call.secrets)) problems.push(`secret ${name} is not defined in the called workflow`);
  }
  for (const [name, declared] of Object.entries(call.secrets)) {
    if (declared.required && !given.secrets[name]) problems.push(`secret ${name} is required`);
  }
  if (problems.length > 0)
    throw new Error(`The call of ${file} is invalid:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  // The called workflow also sees the run's token as secrets.GITHUB_TOKEN.
  return { inputs, secrets: { ...given.secrets, GITHUB_TOKEN: given.token } };
}
