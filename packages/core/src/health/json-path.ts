// A small path language for reading one value out of a JSON body: `status`, `checks.database.status`,
// `items[0].id`, `["key.with.dots"]`, with an optional leading `$.`.

export type PathSegment = string | number;

/** Splits a path into keys and array indexes; throws an Error saying what is wrong with it. */
export function parseJsonPath(path: string): PathSegment[] {
  const source = path.trim().replace(/^\$\.?/, "");
  if (source === "") throw new Error(`the path ${JSON.stringify(path)} is empty`);
  const segments: PathSegment[] = [];
  let i = 0;
  const fail = (what: string): never => {
    throw new Error(`the path ${JSON.stringify(path)} ${what} at character ${i + 1}`);
  };
  while (i < source.length) {
    const char = source[i];
    if (char === "[") {
      const close = source.indexOf("]", i);
      if (close < 0) fail("has an unclosed [");
      const inner = source.slice(i + 1, close).trim();
      if (/^\d+$/.test(inner)) {
        segments.push(Number(inner));
      } else if (/^"(?:[^"\\]|\\.)*"$/.test(inner) || /^'[^']*'$/.test(inner)) {
        segments.push(inner.startsWith('"') ? (JSON.parse(inner) as string) : inner.slice(1, -1));
      } else {
        fail("has a bracket that is neither an index nor a quoted key");
      }
      i = close + 1;
      if (source[i] === ".") {
        i++;
        if (i >= source.length) fail("ends with a dot");
      }
      continue;
    }
    let end = i;
    while (end < source.length && source[end] !== "." && source[end] !== "[") end++;
    const key = source.slice(i, end);
    if (key === "") fail("has an empty key");
    segments.push(key);
    i = end;
    if (source[i] === ".") {
      i++;
      if (i >= source.length) fail("ends with a dot");
    }
  }
  return segments;
}

export type PathLookup = { found: true; value: unknown } | { found: false };

/** Reads the value at the path; not found when a key or index is missing on the way. */
export function readJsonPath(document: unknown, path: string | PathSegment[]): PathLookup {
  const segments = typeof path === "string" ? parseJsonPath(path) : path;
  let current: unknown = document;
  for (const segment of segments) {
    if (typeof segment === "number") {
      if (!Array.isArray(current) || segment >= current.length) return { found: false };
      current = current[segment];
    } else {
      if (typeof current !== "object" || current === null || Array.isArray(current)) return { found: false };
      if (!Object.hasOwn(current, segment)) return { found: false };
      current = (current as Record<string, unknown>)[segment];
    }
  }
  return { found: true, value: current };
}

/** How a JSON value is compared with an expected value written as text: strings as they are, the rest as JSON. */
export function jsonValueText(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}
