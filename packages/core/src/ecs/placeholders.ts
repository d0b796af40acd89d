// Placeholders in a task-definition file, filled from the step's environment: `${env:NAME}` anywhere
// in a string value (never in a key) becomes the value of the environment variable NAME, and
// `$${env:NAME}` is the literal text `${env:NAME}`. A placeholder whose variable is unset or empty is
// an error naming it: a task definition never goes out with an empty value where one was meant.
import { UserError } from "../runtime/errors";

const PLACEHOLDER = /(\$?)\$\{env:([^}]*)\}/g;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface FilledPlaceholder {
  name: string;
  value: string;
}

interface Problem {
  name: string;
  where: string;
  why: string;
}

function fillString(
  text: string,
  where: string,
  env: Readonly<Record<string, string | undefined>>,
  filled: Map<string, string>,
  problems: Problem[],
): string {
  if (!text.includes("${env:")) return text;
  return text.replace(PLACEHOLDER, (whole, escaped: string, name: string) => {
    if (escaped) return whole.slice(1);
    if (!NAME.test(name)) {
      problems.push({
        name,
        where,
        why: "is not a variable name (letters, digits and _, not starting with a digit)",
      });
      return whole;
    }
    const value = env[name];
    if (value === undefined || value === "") {
      problems.push({ name, where, why: value === undefined ? "is not set" : "is empty" });
      return whole;
    }
    filled.set(name, value);
    return value;
  });
}

function walk(
  value: unknown,
  where: string,
  env: Readonly<Record<string, string | undefined>>,
  filled: Map<string, string>,
  problems: Problem[],
): unknown {
  if (typeof value === "string") return fillString(value, where, env, filled, problems);
  if (Array.isArray(value))
    return value.map((item, i) => walk(item, `${where}[${i}]`, env, filled, problems));
  if (typeof value === "object" && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) {
      out[key] = walk(inner, where ? `${where}.${key}` : key, env, filled, problems);
    }
    return out;
  }
  return value;
}

/**
 * Fills every placeholder of a parsed task-definition document. Returns the filled document and the
 * variables used (so their values can be masked when named like credentials). Every placeholder
 * without a value is reported at once, each with where it is.
 */
export function fillPlaceholders<T>(
  document: T,
  env: Readonly<Record<string, string | undefined>>,
  file: string,
): { document: T; filled: FilledPlaceholder[] } {
  const filled = new Map<string, string>();
  const problems: Problem[] = [];
  const out = walk(document, "", env, filled, problems) as T;
  if (problems.length > 0) {
    const lines = problems.map((p) => `\${env:${p.name}} at ${p.where}: ${p.name} ${p.why}`);
    const names = [...new Set(problems.map((p) => p.name))];
    throw new UserError(
      `Task definition file ${file}: ${problems.length === 1 ? "a placeholder has" : `${problems.length} placeholders have`} no value: ${lines.join("; ")}.`,
      {
        input: "task-definition",
        fix: `Set ${names.join(", ")} in the step's \`env:\` (placeholders are filled from the step's environment), or write $\${env:NAME} for the literal text.`,
      },
    );
  }
  return { document: out, filled: [...filled].map(([name, value]) => ({ name, value })) };
}
