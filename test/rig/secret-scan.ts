// The canary scan: looks for secrets in every form they could be printed in (raw, URL-encoded,
// base64 at any alignment, JSON-escaped once or twice, a markdown table cell) across everything a
// run leaves where a person or a later step can read it: the log, stderr, outputs, the step summary,
// the state and env files, and the request bodies the fake GitHub recorded.
import type { FakeCall } from "./fake-github";
import type { ActionRun } from "./harness";

export interface Canary {
  /** What it stands for, named in a leak report ("database password"). */
  name: string;
  value: string;
}

export interface Leak {
  canary: string;
  /** How it was written ("base64 (offset 1)", "URL-encoded"). */
  form: string;
  /** Where it was found ("ecs-deploy crash: summary"). */
  place: string;
  /** The text around it, with the secret itself replaced, to find the leak without repeating it. */
  context: string;
}

/**
 * The pieces of base64 text that encode the value wherever it sits in a longer encoded blob: one per
 * byte offset modulo 3, without the characters that also depend on the bytes around it.
 */
function base64Pieces(value: Buffer, alphabet: "base64" | "base64url"): string[] {
  const pieces: string[] = [];
  for (let offset = 0; offset < 3; offset++) {
    const encoded = Buffer.concat([Buffer.alloc(offset), value])
      .toString(alphabet)
      .replace(/=+$/, "");
    const first = Math.ceil((8 * offset) / 6);
    const last = Math.floor((8 * (offset + value.length)) / 6);
    const piece = encoded.slice(first, last);
    if (piece.length >= 8) pieces.push(piece);
  }
  return pieces;
}

/** Every form of the value worth looking for, by name. Forms shorter than 6 characters are skipped. */
export function printedForms(value: string): Map<string, string> {
  const forms = new Map<string, string>();
  const add = (form: string, text: string): void => {
    if (text.length >= 6 && ![...forms.values()].includes(text)) forms.set(form, text);
  };
  const json = JSON.stringify(value).slice(1, -1);
  add("raw", value);
  add("URL-encoded", encodeURIComponent(value));
  add(
    "URL-encoded (lower-case hex)",
    encodeURIComponent(value).replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()),
  );
  add("form-encoded", new URLSearchParams({ v: value }).toString().slice(2));
  add("JSON-escaped", json);
  add("JSON-escaped twice", JSON.stringify(json).slice(1, -1));
  add("markdown table cell", value.replace(/\\/g, "\\\\").replace(/\|/g, "\\|"));
  add(
    "HTML-escaped",
    value.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;"),
  );
  const bytes = Buffer.from(value);
  for (const [i, piece] of base64Pieces(bytes, "base64").entries()) add(`base64 (offset ${i})`, piece);
  for (const [i, piece] of base64Pieces(bytes, "base64url").entries()) add(`base64url (offset ${i})`, piece);
  add("hex", bytes.toString("hex"));
  return forms;
}

/** Looks for every form of every canary in the named texts. */
export function findLeaks(canaries: readonly Canary[], places: Record<string, string>): Leak[] {
  const leaks: Leak[] = [];
  for (const canary of canaries) {
    for (const [form, text] of printedForms(canary.value)) {
      for (const [place, content] of Object.entries(places)) {
        const at = content.indexOf(text);
        if (at < 0) continue;
        const around = content
          .slice(Math.max(0, at - 60), at + text.length + 60)
          .split(text)
          .join("<SECRET>");
        leaks.push({ canary: canary.name, form, place, context: around });
      }
    }
  }
  return leaks;
}

/**
 * Everything a run left readable: the log (the mask commands themselves excepted: the runner reads
 * and drops them), stderr, outputs, summary, state and env files, and the GitHub request bodies.
 */
export function runPlaces(
  label: string,
  run: ActionRun,
  githubCalls: readonly FakeCall[] = [],
): Record<string, string> {
  const log = run.stdout
    .split("\n")
    .filter((line) => !line.startsWith("::add-mask::"))
    .join("\n");
  return {
    [`${label}: log`]: log,
    [`${label}: stderr`]: run.stderr,
    [`${label}: outputs`]: JSON.stringify(run.outputs),
    [`${label}: summary`]: run.summary,
    [`${label}: state`]: JSON.stringify(run.state),
    [`${label}: exported env`]: JSON.stringify(run.exportedEnv),
    [`${label}: GitHub request bodies`]: githubCalls
      .map((c) => `${c.method} ${c.path} ${JSON.stringify(c.body)}`)
      .join("\n"),
  };
}

/** The leaks of one run; an empty list is the only passing answer. */
export function leaksOf(
  canaries: readonly Canary[],
  label: string,
  run: ActionRun,
  githubCalls: readonly FakeCall[] = [],
): Leak[] {
  return findLeaks(canaries, runPlaces(label, run, githubCalls));
}
