// Whether a program is installed, without running it: its name on one of PATH's directories.
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

export function hasCommandOnPath(command: string, env: NodeJS.ProcessEnv = process.env): boolean {
  for (const directory of (env.PATH ?? "").split(delimiter)) {
    if (!directory) continue;
    try {
      accessSync(join(directory, command), constants.X_OK);
      return true;
    } catch {
      // not in this directory
    }
  }
  return false;
}
