// Conventional-commit headers (`feat(api)!: add paging`) and the BREAKING CHANGE footer.

export interface ConventionalHeader {
  /** Lower-cased type: feat, fix, perf, chore... */
  type: string;
  scope: string | undefined;
  /** The `!` after the type or scope. */
  breaking: boolean;
  description: string;
}

const HEADER = /^(?<type>[a-zA-Z][\w-]*)(?:\((?<scope>[^()\r\n]+)\))?(?<bang>!)?: +(?<description>\S.*)$/;

export function parseHeader(header: string): ConventionalHeader | undefined {
  const match = HEADER.exec(header.trim());
  const groups = match?.groups;
  if (!groups?.type || !groups.description) return undefined;
  return {
    type: groups.type.toLowerCase(),
    scope: groups.scope?.trim() || undefined,
    breaking: groups.bang === "!",
    description: groups.description.trim(),
  };
}

// A footer starts a line; "BREAKING-CHANGE" is the spec's synonym. GitHub's squash message indents
// the folded commit messages with "* ", so that prefix is allowed too.
const BREAKING_FOOTER = /^(?:\* )?BREAKING[ -]CHANGE: *(?<note>.*)$/m;

/** The text of a BREAKING CHANGE footer in a commit body, or undefined when there is none. */
export function breakingNote(body: string): string | undefined {
  const match = BREAKING_FOOTER.exec(body);
  if (!match) return undefined;
  return match.groups?.note?.trim() ?? "";
}

/** True when a type entry such as `chore(deps)` or `feat` matches the header. */
export function matchesType(entry: string, header: ConventionalHeader): boolean {
  const open = entry.indexOf("(");
  if (open < 0) return entry.toLowerCase() === header.type;
  const type = entry.slice(0, open).toLowerCase();
  const scope = entry.slice(open + 1, -1).toLowerCase();
  return type === header.type && scope === header.scope?.toLowerCase();
}
