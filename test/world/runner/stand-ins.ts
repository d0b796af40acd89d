// The third-party steps of shipline's workflows, replaced by what they leave behind on this machine:
// actions/checkout (the workspace is already at the commit; shipline's own actions are this checkout,
// so its repository and ref must be the ones the workflow was located at), actions/setup-node (the
// Node.js major asked for on PATH), configure-aws-credentials (credentials for the AWS simulator in
// the job's environment) and actions/github-script (the workflow's own script, run with the part of
// `core` it uses).
import { createRequire } from "node:module";
import { dirname, resolve } from "node:path";
import { findNode24 } from "../../rig/node";

/** What a github-script step did: its outputs, its failure message, and what it logged. */
export interface ScriptResult {
  outputs: Record<string, string>;
  failed?: string;
  log: string[];
  /** What core.warning annotated. */
  warnings: string[];
}

export interface ScriptOptions {
  /** The step's environment, which the script reads from process.env. */
  env?: Record<string, string>;
  /** core.getIDToken: the job's OIDC token; by default there is none, as without `id-token: write`. */
  idToken?(audience: string): Promise<string>;
  /** The script's `github`: an Octokit (for a script that calls the API). */
  github?: unknown;
  /** The script's `context` (for a script that reads it, e.g. context.repo). */
  context?: unknown;
  /** The job's workspace: `require("./x")` loads x relative to it, as github-script's require does. */
  workspace?: string;
}

/** Runs a github-script step's script as actions/github-script would, with the `core` it uses. */
export async function runGitHubScript(script: string, options: ScriptOptions = {}): Promise<ScriptResult> {
  const result: ScriptResult = { outputs: {}, log: [], warnings: [] };
  const core = {
    getIDToken:
      options.idToken ??
      (async () => {
        throw new Error("Unable to get ACTIONS_ID_TOKEN_REQUEST_URL env variable");
      }),
    setOutput: (name: string, value: unknown) => {
      result.outputs[name] = typeof value === "string" ? value : JSON.stringify(value);
    },
    setFailed: (message: string) => {
      result.failed = message;
    },
    info: (message: string) => {
      result.log.push(message);
    },
    warning: (message: string) => {
      result.warnings.push(message);
    },
  };
  // The script sees the step's environment in process.env, as in its own process on the runner; a
  // process object of its own, so two runs side by side never see each other's variables.
  const env = { ...process.env, ...options.env };
  const scriptProcess = Object.create(process, { env: { value: env, enumerable: true } }) as NodeJS.Process;
  const AsyncFunction = Object.getPrototypeOf(async () => undefined).constructor as new (
    ...args: string[]
  ) => (...values: unknown[]) => Promise<void>;
  // github-script's require: a relative path is resolved against the workspace (the step's cwd).
  const workspace = options.workspace ?? process.cwd();
  const load = createRequire(resolve(workspace, "noop.js"));
  const scriptRequire = (id: string) => load(id.startsWith(".") ? resolve(workspace, id) : id);
  await new AsyncFunction("core", "process", "github", "context", "require", script)(
    core,
    scriptProcess,
    options.github,
    options.context,
    scriptRequire,
  );
  return result;
}

/** actions/checkout: into .shipline it must fetch the commit the workflow was located at. */
export function checkOut(
  job: string,
  inputs: Record<string, string>,
  located: { repository: string; sha: string },
): void {
  if (inputs.path !== ".shipline") return;
  if (inputs.repository !== located.repository || inputs.ref !== located.sha) {
    throw new Error(
      `${job}: shipline is checked out from ${inputs.repository}@${inputs.ref}, not the located ${located.repository}@${located.sha}`,
    );
  }
}

/** configure-aws-credentials: the role it assumed and the environment it leaves for later steps. */
export function assumeRole(
  job: string,
  inputs: Record<string, string>,
  credentials: (role: string, region: string) => Record<string, string>,
): { role: string; env: Record<string, string> } {
  const role = inputs["role-to-assume"] ?? "";
  const region = inputs["aws-region"] ?? "";
  if (!role || !region) throw new Error(`${job}: configure-aws-credentials without a role or region`);
  return { role, env: credentials(role, region) };
}

/**
 * actions/setup-node: the directory to put first on PATH for the major asked for (none when this
 * process's node is that major already). Only majors this machine has can be set up.
 */
export function setUpNode(job: string, inputs: Record<string, string>): string | undefined {
  const asked = (inputs["node-version"] ?? "").trim();
  const major = /^v?(\d+)(?:\.[\dx*]+)*$/.exec(asked)?.[1];
  if (!major) throw new Error(`${job}: setup-node needs a node-version major (e.g. 24), not "${asked}"`);
  if (major === process.versions.node.split(".")[0]) return undefined;
  if (major === "24") return dirname(findNode24());
  throw new Error(
    `${job}: setup-node asks for Node ${major}; this machine has ${process.versions.node} and 24`,
  );
}
