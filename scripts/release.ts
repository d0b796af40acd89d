// `npm run release -- 1.2.0`: prepares the release commit of a version (CHANGELOG.md, the version in
// every file that states it, dist rebuilt), then prints the commands that commit, tag and push it.
// Pushing the tag starts .github/workflows/release.yml, which checks and publishes.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../test/repo/layout";
import {
  nextVersion,
  ReleaseError,
  releaseChangelog,
  withLockVersion,
  withPackageVersion,
  withVersionConstant,
} from "../test/repo/release";

const FILES = {
  changelog: "CHANGELOG.md",
  root: "package.json",
  core: "packages/core/package.json",
  lock: "package-lock.json",
  constant: "packages/core/src/runtime/version.ts",
};

const read = (file: string): string => readFileSync(join(ROOT, file), "utf8");

try {
  const current = (JSON.parse(read(FILES.root)) as { version: string }).version;
  const version = nextVersion(current, process.argv[2] ?? "");
  const date = new Date().toISOString().slice(0, 10);
  // Every edit is computed before any file is written: a refusal leaves the checkout as it was.
  const edits: [string, string][] = [
    [FILES.changelog, releaseChangelog(read(FILES.changelog), version, date)],
    [FILES.root, withPackageVersion(read(FILES.root), version)],
    [FILES.core, withPackageVersion(read(FILES.core), version)],
    [FILES.lock, withLockVersion(read(FILES.lock), version, ["packages/core"])],
    [FILES.constant, withVersionConstant(read(FILES.constant), version)],
  ];
  for (const [file, content] of edits) writeFileSync(join(ROOT, file), content);
  console.log(`Version ${current} -> ${version}; rebuilding dist/ with it.`);
  execFileSync("npm", ["run", "build"], { cwd: ROOT, stdio: "inherit" });
  console.log(
    [
      "",
      `Review CHANGELOG.md's ${version} section, then:`,
      `  git commit -am "Release v${version}"`,
      `  git tag -a v${version} -m v${version}`,
      `  git push origin HEAD v${version}`,
      "The release workflow then checks the tag, dist and the tests, publishes the notes and moves the",
      "major and minor tags.",
    ].join("\n"),
  );
} catch (error) {
  if (!(error instanceof ReleaseError)) throw error;
  console.error(error.message);
  process.exit(1);
}
