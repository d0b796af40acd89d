// Integration tests need real services (Docker, a registry, PostgreSQL, Prometheus). On a developer
// machine without one, its tests are skipped with the reason; in CI (CI=true) a missing service is an
// error, so nothing is ever skipped there for want of a service.
import { spawnSync } from "node:child_process";

export function inCi(): boolean {
  return process.env.CI === "true" || process.env.CI === "1";
}

/** True when the command is on PATH (or is an existing absolute path). */
export function hasCommand(command: string): boolean {
  return spawnSync("sh", ["-c", `command -v "$0" >/dev/null 2>&1`, command]).status === 0;
}

/**
 * Says whether tests needing `what` can run. Use as `describe.runIf(available("PostgreSQL", ok))`.
 * Throws in CI when the service is missing.
 */
export function available(what: string, ok: boolean, howToInstall = ""): boolean {
  if (ok) return true;
  const hint = howToInstall ? ` Install it with: ${howToInstall}` : "";
  if (inCi()) throw new Error(`${what} is required in CI but is not available.${hint}`);
  console.warn(`Skipping the ${what} tests: it is not available on this machine.${hint}`);
  return false;
}
