// Typed action inputs: one spec per action, parsed and validated up front, before any AWS or GitHub
// call. Every problem is collected and reported at once, each naming the input and the fix.
import { UserError } from "./errors";
import type { Secrets } from "./secrets";

/** Reads the raw value of an input; undefined or "" when it was not given. */
export type InputSource = (name: string) => string | undefined;

/** The runner passes inputs as INPUT_<NAME> variables (spaces become underscores, upper case). */
export function runnerInputSource(env: NodeJS.ProcessEnv = process.env): InputSource {
  return (name) => env[`INPUT_${name.replace(/ /g, "_").toUpperCase()}`];
}

interface Problem {
  message: string;
  fix: string;
}

class InvalidValue extends Error {
  constructor(
    message: string,
    readonly fix: string,
  ) {
    super(message);
  }
}

export interface InputDef<T, Present extends boolean> {
  readonly kind: string;
  readonly required: boolean;
  /** The default exactly as written in action.yml. */
  readonly default: string | undefined;
  readonly secret: boolean;
  readonly parse: (raw: string) => T;
  /** Phantom marker: whether the parsed value is always present. */
  readonly present?: Present;
}

// biome-ignore lint/suspicious/noExplicitAny: a spec holds inputs of every value type.
export type InputSpec = Record<string, InputDef<any, boolean>>;

type CamelCase<S extends string> = S extends `${infer Head}-${infer Tail}`
  ? `${Head}${Capitalize<CamelCase<Tail>>}`
  : S;

type ValueOf<D> =
  D extends InputDef<infer T, infer Present> ? (Present extends true ? T : T | undefined) : never;

/** The parsed inputs of a spec, keyed by the camel-cased input name (`wait-timeout` -> `waitTimeout`). */
export type InputValues<S extends InputSpec> = {
  readonly [K in keyof S & string as CamelCase<K>]: ValueOf<S[K]>;
};

export function camelCase(name: string): string {
  return name.replace(/[-_ ]+([a-zA-Z0-9])/g, (_, c: string) => c.toUpperCase());
}

interface BaseOptions {
  required?: boolean;
  default?: string;
  secret?: boolean;
}

type Present<O extends BaseOptions> = O extends { required: true }
  ? true
  : O extends { default: string }
    ? true
    : false;

function define<T, O extends BaseOptions>(
  kind: string,
  options: O,
  parse: (raw: string) => T,
): InputDef<T, Present<O>> {
  return {
    kind,
    required: options.required ?? false,
    default: options.default,
    secret: options.secret ?? false,
    parse,
  };
}

function quote(raw: string): string {
  const oneLine = raw.replace(/\s*\n\s*/g, "⏎");
  return JSON.stringify(oneLine.length > 60 ? `${oneLine.slice(0, 57)}...` : oneLine);
}

// ---- value kinds ---------------------------------------------------------------------------------

export interface StringOptions extends BaseOptions {
  pattern?: RegExp;
  /** Says what a valid value looks like, shown when the pattern does not match. */
  hint?: string;
}

function parseString(options: StringOptions): (raw: string) => string {
  return (raw) => {
    if (options.pattern && !options.pattern.test(raw)) {
      const shown = options.secret ? "The value" : quote(raw);
      throw new InvalidValue(
        `${shown} is not valid.`,
        options.hint ?? `Give a value matching ${options.pattern}.`,
      );
    }
    return raw;
  };
}

const BOOLEAN_TRUE = new Set(["true", "True", "TRUE"]);
const BOOLEAN_FALSE = new Set(["false", "False", "FALSE"]);

export function parseBoolean(raw: string): boolean {
  if (BOOLEAN_TRUE.has(raw)) return true;
  if (BOOLEAN_FALSE.has(raw)) return false;
  throw new InvalidValue(`${quote(raw)} is not a boolean.`, 'Write "true" or "false".');
}

export interface RangeOptions extends BaseOptions {
  min?: number;
  max?: number;
}

function checkRange(value: number, options: RangeOptions, shown: string): number {
  if (options.min !== undefined && value < options.min) {
    throw new InvalidValue(
      `${shown} is below the minimum of ${options.min}.`,
      `Give a value of at least ${options.min}.`,
    );
  }
  if (options.max !== undefined && value > options.max) {
    throw new InvalidValue(
      `${shown} is above the maximum of ${options.max}.`,
      `Give a value of at most ${options.max}.`,
    );
  }
  return value;
}

export function parseInteger(raw: string, options: RangeOptions = {}): number {
  const value = /^[+-]?\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value)) {
    throw new InvalidValue(`${quote(raw)} is not a whole number.`, 'Write digits only, such as "3".');
  }
  return checkRange(value, options, String(value));
}

export function parseNumber(raw: string, options: RangeOptions = {}): number {
  const value = /^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isFinite(value)) {
    throw new InvalidValue(`${quote(raw)} is not a number.`, 'Write a decimal number such as "0.05" or "2".');
  }
  return checkRange(value, options, String(value));
}

const DURATION_UNITS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1_000, ms: 1 };
const DURATION_ORDER = ["h", "m", "s", "ms"];

/** Parses "90s", "5m", "1h30m", "250ms" into milliseconds. Units go from largest to smallest, once each. */
export function parseDurationMs(raw: string): number {
  const fix = 'Write a number with a unit (h, m, s or ms), such as "90s", "5m" or "1h30m".';
  const compact = raw.replace(/\s+/g, "");
  const parts = [...compact.matchAll(/(\d+)(ms|h|m|s)/g)];
  const consumed = parts.map((p) => p[0]).join("");
  if (parts.length === 0 || consumed !== compact) {
    throw new InvalidValue(`${quote(raw)} is not a duration.`, fix);
  }
  let total = 0;
  let lastIndex = -1;
  for (const part of parts) {
    const unit = part[2] as string;
    const index = DURATION_ORDER.indexOf(unit);
    if (index <= lastIndex) {
      throw new InvalidValue(`${quote(raw)} repeats or misorders its units.`, fix);
    }
    lastIndex = index;
    total += Number(part[1]) * (DURATION_UNITS[unit] as number);
  }
  return total;
}

export interface DurationOptions extends BaseOptions {
  /** Minimum, as a duration string. */
  min?: string;
  max?: string;
}

function parseDurationInput(options: DurationOptions): (raw: string) => number {
  const min = options.min === undefined ? undefined : parseDurationMs(options.min);
  const max = options.max === undefined ? undefined : parseDurationMs(options.max);
  return (raw) => {
    const value = parseDurationMs(raw);
    if (min !== undefined && value < min) {
      throw new InvalidValue(
        `${quote(raw)} is shorter than the minimum of ${options.min}.`,
        `Give at least ${options.min}.`,
      );
    }
    if (max !== undefined && value > max) {
      throw new InvalidValue(
        `${quote(raw)} is longer than the maximum of ${options.max}.`,
        `Give at most ${options.max}.`,
      );
    }
    return value;
  };
}

export interface ListOptions extends BaseOptions {
  /** "comma-or-newline" (default) splits on both; "newline" keeps commas inside items. */
  separator?: "comma-or-newline" | "newline";
  /** Each item must match, e.g. a service name. */
  itemPattern?: RegExp;
  itemHint?: string;
  /** Reject the same item twice (default true). */
  unique?: boolean;
}

/**
 * Splits a list given one per line and/or comma-separated. Blank lines and lines starting with "#"
 * are ignored; an empty item between commas (or a trailing comma) is an error, since it is almost
 * always a typo.
 */
export function parseList(raw: string, options: ListOptions = {}): string[] {
  const items: string[] = [];
  const lines = raw.split(/\r?\n/);
  for (const [lineIndex, line] of lines.entries()) {
    const trimmed = line.trim();
    if (trimmed === "" || trimmed.startsWith("#")) continue;
    const pieces = options.separator === "newline" ? [trimmed] : trimmed.split(",");
    for (const piece of pieces) {
      const item = piece.trim();
      if (item === "") {
        throw new InvalidValue(
          `line ${lineIndex + 1} has an empty item.`,
          "Remove the extra comma, or give a value between the commas.",
        );
      }
      if (options.itemPattern && !options.itemPattern.test(item)) {
        throw new InvalidValue(
          `the item ${quote(item)} is not valid.`,
          options.itemHint ?? `Each item must match ${options.itemPattern}.`,
        );
      }
      if ((options.unique ?? true) && items.includes(item)) {
        throw new InvalidValue(`the item ${quote(item)} is given twice.`, "Give each item once.");
      }
      items.push(item);
    }
  }
  return items;
}

export interface KeyValueOptions extends BaseOptions {
  keyPattern?: RegExp;
  keyHint?: string;
}

/** Parses `key=value` lines (one per line; blank and "#" lines ignored). Values may contain "=". */
export function parseKeyValues(raw: string, options: KeyValueOptions = {}): Record<string, string> {
  const entries = new Map<string, string>();
  for (const [lineIndex, line] of raw.split(/\r?\n/).entries()) {
    const trimmed = line.trim();
    if (trimmed === "" || trimmed.startsWith("#")) continue;
    const at = trimmed.indexOf("=");
    const where = `line ${lineIndex + 1}`;
    if (at <= 0) {
      throw new InvalidValue(`${where} is not of the form key=value.`, "Write one key=value pair per line.");
    }
    const key = trimmed.slice(0, at).trim();
    const value = trimmed.slice(at + 1).trim();
    if (key === "__proto__" || /\s/.test(key) || (options.keyPattern && !options.keyPattern.test(key))) {
      throw new InvalidValue(
        `${where} has an invalid key ${quote(key)}.`,
        options.keyHint ?? "Keys have no spaces; write key=value.",
      );
    }
    if (entries.has(key)) {
      throw new InvalidValue(`${where} repeats the key ${quote(key)}.`, "Give each key once.");
    }
    entries.set(key, value);
  }
  return Object.fromEntries(entries);
}

export interface JsonOptions<T> extends BaseOptions {
  /** Checks the parsed value's shape; throws an Error whose message says what is wrong. */
  validate?: (value: unknown) => T;
  /** Says what shape is expected, shown with a validation error. */
  hint?: string;
}

function parseJsonInput<T>(options: JsonOptions<T>): (raw: string) => T {
  return (raw) => {
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (error) {
      // The parser's message quotes the text around the error, which would print part of a secret.
      const detail = options.secret ? "" : ` (${error instanceof Error ? error.message : String(error)})`;
      throw new InvalidValue(
        `it is not valid JSON${detail}.`,
        options.hint ?? "Check quotes, commas and brackets.",
      );
    }
    if (!options.validate) return value as T;
    try {
      return options.validate(value);
    } catch (error) {
      if (error instanceof InvalidValue) throw error;
      const detail = error instanceof Error ? error.message : String(error);
      throw new InvalidValue(
        `the JSON does not have the expected shape: ${detail}`,
        options.hint ?? "See the action's README.",
      );
    }
  };
}

export interface ChoiceOptions<V extends string> extends BaseOptions {
  default?: V;
}

function parseChoice<V extends string>(values: readonly V[]): (raw: string) => V {
  return (raw) => {
    if ((values as readonly string[]).includes(raw)) return raw as V;
    throw new InvalidValue(
      `${quote(raw)} is not one of the allowed values.`,
      `Use one of: ${values.map((v) => `"${v}"`).join(", ")}.`,
    );
  };
}

function parseUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new InvalidValue(
      `${quote(raw)} is not a URL.`,
      "Give an absolute URL such as https://example.com/health.",
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new InvalidValue(`${quote(raw)} is not an http(s) URL.`, "Use an http:// or https:// URL.");
  }
  return raw;
}

/** Builders for the kinds of input value. Options are literal so the value type knows if it is optional. */
export const input = {
  string: <const O extends StringOptions>(options: O = {} as O) =>
    define("string", options, parseString(options)),
  url: <const O extends BaseOptions>(options: O = {} as O) => define("url", options, parseUrl),
  boolean: <const O extends BaseOptions>(options: O = {} as O) => define("boolean", options, parseBoolean),
  integer: <const O extends RangeOptions>(options: O = {} as O) =>
    define("integer", options, (raw) => parseInteger(raw, options)),
  number: <const O extends RangeOptions>(options: O = {} as O) =>
    define("number", options, (raw) => parseNumber(raw, options)),
  duration: <const O extends DurationOptions>(options: O = {} as O) =>
    define("duration", options, parseDurationInput(options)),
  list: <const O extends ListOptions>(options: O = {} as O) =>
    define("list", options, (raw) => parseList(raw, options)),
  keyValues: <const O extends KeyValueOptions>(options: O = {} as O) =>
    define("key-values", options, (raw) => parseKeyValues(raw, options)),
  json: <T, const O extends JsonOptions<T> = JsonOptions<T>>(options: O = {} as O) =>
    define("json", options, parseJsonInput<T>(options)),
  choice: <const V extends string, const O extends ChoiceOptions<V> = ChoiceOptions<V>>(
    values: readonly V[],
    options: O = {} as O,
  ) => define("choice", options, parseChoice(values)),
};

export interface ParseInputsOptions {
  source: InputSource;
  /** Secret inputs are registered here before anything is validated or printed. */
  secrets?: Secrets;
}

/** scheme://user:password@...: a connection URL that carries a password. */
const URL_WITH_PASSWORD = /^[a-z][a-z0-9+.-]*:\/\/[^/@\s]*:[^/@\s]*@/i;

/**
 * Parses every input of the spec. Secret values are registered before anything else. All problems
 * are gathered and thrown as one UserError, so a user fixes them in one round.
 */
export function parseInputs<S extends InputSpec>(spec: S, options: ParseInputsOptions): InputValues<S> {
  const values: Record<string, unknown> = {};
  const problems: Array<Problem & { input: string }> = [];

  for (const [name, def] of Object.entries(spec)) {
    const given = options.source(name)?.trim();
    if (!given) continue;
    if (def.secret) {
      options.secrets?.add(given);
      // The parts a secret is used by are registered too: each value of key=value lines (a header or
      // a build secret is printed without its key), and the password of a connection URL.
      if (def.kind === "key-values") {
        for (const line of given.split(/\r?\n/)) {
          const at = line.indexOf("=");
          if (at > 0 && !line.trim().startsWith("#")) options.secrets?.add(line.slice(at + 1).trim());
        }
      } else if (URL_WITH_PASSWORD.test(given)) options.secrets?.addUrl(given);
    }
    // A URL with credentials in it (https://user:pass@host) carries a secret even when the input is not
    // marked secret: its password is masked before the URL can appear in a message or report.
    else if (def.kind === "url" && URL_WITH_PASSWORD.test(given)) options.secrets?.addUrl(given);
  }

  for (const [name, def] of Object.entries(spec)) {
    const given = options.source(name)?.trim();
    const raw = given === undefined || given === "" ? def.default : given;
    if (raw === undefined || raw === "") {
      if (def.required) {
        problems.push({
          input: name,
          message: "it is required but was not given.",
          fix: `Add \`${name}:\` under the step's \`with:\`.`,
        });
      }
      values[camelCase(name)] = undefined;
      continue;
    }
    try {
      values[camelCase(name)] = def.parse(raw);
    } catch (error) {
      if (!(error instanceof InvalidValue)) throw error;
      problems.push({ input: name, message: error.message, fix: error.fix });
    }
  }

  if (problems.length > 0) {
    const first = problems[0] as Problem & { input: string };
    if (problems.length === 1) {
      throw new UserError(`Input \`${first.input}\`: ${first.message}`, {
        fix: first.fix,
        input: first.input,
      });
    }
    const lines = problems.map((p) => `- \`${p.input}\`: ${p.message} ${p.fix}`);
    throw new UserError(`${problems.length} inputs are invalid:\n${lines.join("\n")}`, {
      fix: "Correct the inputs listed above.",
      input: first.input,
    });
  }
  return values as InputValues<S>;
}

/** Raises a UserError about one input from an action's own cross-input checks. */
export function inputError(name: string, message: string, fix: string): UserError {
  return new UserError(`Input \`${name}\`: ${message}`, { fix, input: name });
}
