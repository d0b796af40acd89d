// Typed action inputs: one spec per action, parsed and validated up front, before any AWS or GitHub
// call. Every problem is collected and reported at once, each naming the input and the fix. What a
// kind of input may hold is part of its spec, so every action that declares an input gets the same
// checks: a length limit on every input, paths and globs kept inside the workspace, URLs with a real
// host (and credentials only where they are meant to be), identifiers free of shell syntax.

import { resolve } from "node:path";
import { UserError } from "./errors";
import type { Secrets } from "./secrets";
import { Workspace, WorkspacePathError } from "./workspace";

/** A whole value that is one GitHub workflow expression, as action.yml defaults are written. */
const EXPRESSION = /^\$\{\{[^}]*\}\}$/;

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

/** A value an input cannot take: what is wrong (after the input's name) and how to fix it. */
export class InvalidValue extends Error {
  constructor(
    message: string,
    readonly fix: string,
  ) {
    super(message);
  }
}

/** A check of a value beyond its kind (an image reference, an identifier); throws InvalidValue. */
export type ValueCheck = (value: string) => void;

export type InputKind =
  | "string"
  | "text"
  | "path"
  | "globs"
  | "url"
  | "boolean"
  | "integer"
  | "number"
  | "duration"
  | "list"
  | "key-values"
  | "json"
  | "choice";

/** What a parse may look at besides the value: the workspace, and the directory paths are relative to. */
export interface ParseContext {
  workspace: Workspace;
  /** The workspace root, or the directory of the input a path is relative to (`relativeTo`). */
  base: string;
}

export interface InputDef<T, Present extends boolean> {
  readonly kind: InputKind;
  readonly required: boolean;
  /** The default exactly as written in action.yml. */
  readonly default: string | undefined;
  readonly secret: boolean;
  /** The longest value accepted, in characters; a longer one is refused before it is parsed. */
  readonly maxLength: number;
  /**
   * Free text: quotes, `$`, `;`, backticks and the like are a legitimate part of the value (a reason, a
   * title, a command line run without a shell, a YAML document). Every other input refuses them.
   */
  readonly freeText: boolean;
  /** A path input whose directory this input's paths are relative to (e.g. `working-directory`). */
  readonly relativeTo: string | undefined;
  readonly parse: (raw: string, context: ParseContext) => T;
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
  /** Overrides the kind's length limit where the domain says so. */
  maxLength?: number;
}

/**
 * The longest value of each kind unless the input says otherwise. Generous for what the kind holds
 * (a name, a URL, a path, a document), and far below what would make parsing or a regular expression
 * slow. JSON gets 128 KiB, the most one environment variable (which carries an input) holds on Linux.
 */
export const DEFAULT_MAX_LENGTH: Record<InputKind, number> = {
  string: 1_024,
  text: 4_096,
  path: 4_096,
  globs: 4_096,
  url: 2_048,
  boolean: 16,
  integer: 32,
  number: 32,
  duration: 64,
  choice: 256,
  list: 16_384,
  "key-values": 32_768,
  json: 131_072,
};

interface DefineOptions {
  freeText?: boolean;
  relativeTo?: string | undefined;
}

type Present<O extends BaseOptions> = O extends { required: true }
  ? true
  : O extends { default: string }
    ? true
    : false;

function define<T, O extends BaseOptions>(
  kind: InputKind,
  options: O,
  parse: (raw: string, context: ParseContext) => T,
  extra: DefineOptions = {},
): InputDef<T, Present<O>> {
  return {
    kind,
    required: options.required ?? false,
    default: options.default,
    secret: options.secret ?? false,
    maxLength: options.maxLength ?? DEFAULT_MAX_LENGTH[kind],
    freeText: extra.freeText ?? false,
    relativeTo: extra.relativeTo,
    parse,
  };
}

function quote(raw: string): string {
  const oneLine = raw.replace(/\s*\n\s*/g, "⏎");
  return JSON.stringify(oneLine.length > 60 ? `${oneLine.slice(0, 57)}...` : oneLine);
}

// ---- value kinds ---------------------------------------------------------------------------------

export interface StringOptions extends BaseOptions {
  /** What the value must match. Without one (and without `check`), shell syntax is still refused. */
  pattern?: RegExp;
  /** Says what a valid value looks like, shown when the pattern does not match. */
  hint?: string;
  /** A check of the whole value beyond the pattern (e.g. an image reference's grammar). */
  check?: ValueCheck;
}

/**
 * Shell syntax, quotes and control characters: never part of a name, an ARN, a tag or a reference. An
 * identifier input without a pattern of its own refuses them, so `$(id)` is never passed along.
 */
const SHELL_SYNTAX = /[\s$`'"\\;|&<>(){}!*?[\]#~^]|\p{Cc}/u;

function checkIdentifier(raw: string, shown: string): void {
  const bad = SHELL_SYNTAX.exec(raw);
  if (bad) {
    const char = /\s/.test(bad[0]) ? "whitespace" : JSON.stringify(bad[0]);
    throw new InvalidValue(
      `${shown} contains ${char}, which no valid value has.`,
      "Give the value itself, without quotes, spaces or shell syntax.",
    );
  }
}

function parseString(options: StringOptions): (raw: string) => string {
  return (raw) => {
    const shown = options.secret ? "The value" : quote(raw);
    if (options.pattern && !options.pattern.test(raw)) {
      throw new InvalidValue(
        `${shown} is not valid.`,
        options.hint ?? `Give a value matching ${options.pattern}.`,
      );
    }
    if (!options.pattern && !options.check) checkIdentifier(raw, shown);
    options.check?.(raw);
    return raw;
  };
}

export interface TextOptions extends BaseOptions {}

export interface PathOptions extends BaseOptions {
  /** The path must name an existing directory or file. */
  mustExist?: "directory" | "file";
  /** Relative to the directory another path input names (default: the workspace). */
  relativeTo?: string;
  /** Values matching this are references (an ARN, family:revision), not paths, and are kept as given. */
  references?: RegExp;
}

/** The path exactly as given, checked to stay inside the workspace (and to exist, when asked). */
function parsePath(options: PathOptions): (raw: string, context: ParseContext) => string {
  return (raw, context) => {
    if (options.references?.test(raw)) return raw;
    if (/\p{Cc}/u.test(raw)) {
      throw new InvalidValue(`${quote(raw)} contains a control character.`, "Give a plain path.");
    }
    try {
      const absolute = context.workspace.locate(raw, context.base);
      if (options.mustExist) Workspace.requireExisting(absolute, raw, options.mustExist);
    } catch (error) {
      if (!(error instanceof WorkspacePathError)) throw error;
      throw new InvalidValue(
        error.message,
        options.mustExist && !/outside/.test(error.message)
          ? `Give a ${options.mustExist} of the checkout (relative to the workspace), or check the checkout step ran first.`
          : "Give a path inside the repository checkout, relative to the workspace; `..` may not climb out of it, and a symbolic link may not point out of it.",
      );
    }
    return raw;
  };
}

export interface GlobOptions extends BaseOptions {
  /** The patterns are relative to the directory this path input names (default: the workspace). */
  relativeTo?: string;
  /**
   * The directory each pattern's fixed part names (`db/migrations` of `db/migrations/*.sql`) must
   * exist: a pattern into a folder that is not there matches nothing, which is a typo, not "none yet".
   */
  mustExist?: "directory";
}

/** One pattern per line, each checked to stay inside the workspace; returned relative to the base. */
function parseGlobs(options: GlobOptions): (raw: string, context: ParseContext) => string[] {
  return (raw, context) =>
    parseList(raw, { separator: "newline" }).map((pattern) => {
      try {
        const relativePattern = context.workspace.globPattern(pattern, context.base);
        const fixed = Workspace.fixedDirectory(relativePattern);
        if (options.mustExist && !relativePattern.startsWith("!")) {
          Workspace.requireExisting(resolve(context.base, fixed), fixed || ".", "directory");
        }
        return relativePattern;
      } catch (error) {
        if (!(error instanceof WorkspacePathError)) throw error;
        throw new InvalidValue(
          /outside/.test(error.message)
            ? error.message
            : `the pattern ${JSON.stringify(pattern)} looks in ${error.message.replace(/\.$/, "")}, so it matches nothing.`,
          "Give patterns inside the repository checkout, relative to the directory they are read from (`..` may not climb out of the workspace), into a folder that exists.",
        );
      }
    });
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
  /** A check of each item beyond the pattern. */
  itemCheck?: ValueCheck;
  /** Reject the same item twice (default true). */
  unique?: boolean;
}

export interface ListInputOptions extends ListOptions, BaseOptions {
  /** The items are free text (labels): shell syntax is not refused. */
  freeText?: boolean;
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
      options.itemCheck?.(item);
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
  /** A check of each value (e.g. an image reference). */
  valueCheck?: ValueCheck;
  /** Keys and values are free text (JSON paths with quoted keys): shell syntax is not refused. */
  freeText?: boolean;
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
    if (options.valueCheck) {
      try {
        options.valueCheck(value);
      } catch (error) {
        if (!(error instanceof InvalidValue)) throw error;
        throw new InvalidValue(`${where} (${key}): ${error.message}`, error.fix);
      }
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

export interface UrlOptions extends BaseOptions {
  /** The schemes accepted, with their colon (default http: and https:). */
  protocols?: readonly string[];
  /** An example shown in the fix, e.g. postgres://user:password@host:5432/database. */
  example?: string;
  /**
   * "refuse" (default): a URL with a user or password is refused, for a URL that is shown (a GitHub
   * deployment's environment URL) or has no use for one. "allow": the password is masked everywhere.
   */
  credentials?: "allow" | "refuse";
}

/** A DNS name (letters, digits, `-`, `_` in labels), an IPv4 address or a bracketed IPv6 address. */
const HOST =
  /^(\[[0-9a-f:.]+\]|[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*\.?)$/i;

/** Checks an absolute URL: its scheme, a real host, and credentials only where allowed. */
export function checkUrl(raw: string, options: UrlOptions = {}): void {
  const protocols = options.protocols ?? ["http:", "https:"];
  const shown = options.secret ? "The value" : quote(raw);
  const example = options.example ?? `${protocols[0]}//example.com/health`;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new InvalidValue(`${shown} is not a URL.`, `Give an absolute URL such as ${example}.`);
  }
  if (!protocols.includes(url.protocol)) {
    const schemes = protocols.map((p) => `${p}//`).join(" or ");
    throw new InvalidValue(`${shown} is not a ${schemes} URL.`, `Use a ${schemes} URL such as ${example}.`);
  }
  if (!HOST.test(url.hostname) || /[\s$`'"\\;|&<>(){}]/.test(raw.split("/").slice(0, 3).join("/"))) {
    throw new InvalidValue(
      `${shown} has no valid host name.`,
      `Give a host name or IP address, such as ${example}.`,
    );
  }
  if ((options.credentials ?? "refuse") === "refuse" && (url.username || url.password)) {
    throw new InvalidValue(
      "The URL carries a user name or password, which would be shown to everyone who can see it.",
      "Give the URL without credentials (no user:password@ before the host).",
    );
  }
}

/** Builders for the kinds of input value. Options are literal so the value type knows if it is optional. */
export const input = {
  /** A name, an ARN, a tag, a reference: matched by its pattern, and never holding shell syntax. */
  string: <const O extends StringOptions>(options: O = {} as O) =>
    define("string", options, parseString(options)),
  /** Free text (a reason, a title, a command line, a YAML document): only its length is limited. */
  text: <const O extends TextOptions>(options: O = {} as O) =>
    define("text", options, (raw) => raw, { freeText: true }),
  /** A path inside the workspace, as given. */
  path: <const O extends PathOptions>(options: O = {} as O) =>
    define("path", options, parsePath(options), { relativeTo: options.relativeTo }),
  /** Glob patterns, one per line, inside the workspace; returned relative to their directory. */
  globs: <const O extends GlobOptions>(options: O = {} as O) =>
    define("globs", options, parseGlobs(options), { relativeTo: options.relativeTo }),
  url: <const O extends UrlOptions>(options: O = {} as O) =>
    define("url", options, (raw) => {
      checkUrl(raw, options);
      return raw;
    }),
  boolean: <const O extends BaseOptions>(options: O = {} as O) => define("boolean", options, parseBoolean),
  integer: <const O extends RangeOptions>(options: O = {} as O) =>
    define("integer", options, (raw) => parseInteger(raw, options)),
  number: <const O extends RangeOptions>(options: O = {} as O) =>
    define("number", options, (raw) => parseNumber(raw, options)),
  duration: <const O extends DurationOptions>(options: O = {} as O) =>
    define("duration", options, parseDurationInput(options)),
  list: <const O extends ListInputOptions>(options: O = {} as O) =>
    define("list", options, (raw) => parseList(raw, listChecks(options)), {
      freeText: options.freeText ?? false,
    }),
  keyValues: <const O extends KeyValueOptions>(options: O = {} as O) =>
    define("key-values", options, (raw) => parseKeyValues(raw, keyChecks(options)), {
      freeText: options.freeText ?? false,
    }),
  json: <T, const O extends JsonOptions<T> = JsonOptions<T>>(options: O = {} as O) =>
    define("json", options, parseJsonInput<T>(options)),
  choice: <const V extends string, const O extends ChoiceOptions<V> = ChoiceOptions<V>>(
    values: readonly V[],
    options: O = {} as O,
  ) => define("choice", options, parseChoice(values)),
};

/** A list's items refuse shell syntax unless the list is free text or its items have a pattern. */
function listChecks(options: ListInputOptions): ListOptions {
  if (options.freeText || options.itemPattern) return options;
  const { itemCheck } = options;
  return {
    ...options,
    itemCheck: (item) => {
      if (!itemCheck) checkIdentifier(item, `the item ${quote(item)}`);
      itemCheck?.(item);
    },
  };
}

/** Keys are identifiers (letters, digits and `_.-/:@`) unless the spec says otherwise. */
const KEY = /^[A-Za-z0-9_][A-Za-z0-9_.:/@-]*$/;

function keyChecks(options: KeyValueOptions): KeyValueOptions {
  if (options.freeText || options.keyPattern) return options;
  return { ...options, keyPattern: KEY, keyHint: "Keys are letters, digits and `_.-/:@`; write key=value." };
}

export interface ParseInputsOptions {
  source: InputSource;
  /** Secret inputs are registered here before anything is validated or printed. */
  secrets?: Secrets;
  /** The workspace path inputs must stay in (default GITHUB_WORKSPACE, or the current directory). */
  workspace?: Workspace | string;
}

function problemFromLength(name: string, def: InputDef<unknown, boolean>, raw: string): Problem | undefined {
  if (raw.length <= def.maxLength) return undefined;
  return {
    message: `it is ${raw.length.toLocaleString("en-US")} characters long; at most ${def.maxLength.toLocaleString("en-US")} are accepted.`,
    fix: `Shorten \`${name}\`${def.kind === "json" || def.kind === "text" ? ", or pass the content in a file of the workspace" : ""}.`,
  };
}

/** Registers what a value carries that must never print: secrets, URL passwords, credential-named values. */
function registerSecrets(def: InputDef<unknown, boolean>, given: string, secrets: Secrets): void {
  if (def.secret) {
    secrets.add(given);
    // The parts a secret is used by are registered too: each value of key=value lines (a header or a
    // build secret is printed without its key).
    if (def.kind === "key-values") {
      for (const line of given.split(/\r?\n/)) {
        const at = line.indexOf("=");
        if (at > 0 && !line.trim().startsWith("#")) secrets.add(line.slice(at + 1).trim());
      }
    }
  } else if (def.kind === "key-values") {
    // `web.DATABASE_URL=...`, `NPM_TOKEN=...`: a value named like a credential is one.
    for (const line of given.split(/\r?\n/)) {
      const at = line.indexOf("=");
      if (at > 0 && !line.trim().startsWith("#")) {
        secrets.addNamed(line.slice(0, at).trim(), line.slice(at + 1).trim());
      }
    }
  }
  // A URL with credentials in it (https://user:pass@host) carries a secret whatever the input: its
  // password is masked before the URL can appear in a message or report.
  secrets.addUrlCredentials(given);
}

/**
 * Parses every input of the spec. Secret values are registered before anything else. All problems
 * are gathered and thrown as one UserError, so a user fixes them in one round.
 */
export function parseInputs<S extends InputSpec>(spec: S, options: ParseInputsOptions): InputValues<S> {
  const values: Record<string, unknown> = {};
  const problems: Array<Problem & { input: string }> = [];
  const workspace =
    options.workspace instanceof Workspace
      ? options.workspace
      : options.workspace !== undefined
        ? new Workspace(options.workspace)
        : Workspace.fromEnv();

  for (const [name, def] of Object.entries(spec)) {
    const given = options.source(name)?.trim();
    if (given && options.secrets) registerSecrets(def, given, options.secrets);
  }

  // Inputs relative to another input's directory are parsed after it, to know where they point.
  const entries = Object.entries(spec);
  const ordered = [...entries.filter(([, d]) => !d.relativeTo), ...entries.filter(([, d]) => d.relativeTo)];
  for (const [name, def] of ordered) {
    const given = options.source(name)?.trim();
    // The runner fills a default only for an input left out. A default that is a workflow expression
    // (`${{ github.token }}`) reaching the parser means the input was given, but empty, e.g. a secret
    // that is not set: its unexpanded text is no value, and using it would hide the mistake.
    if (given === "" && def.default !== undefined && EXPRESSION.test(def.default)) {
      problems.push({
        input: name,
        message: "is empty (a secret or variable that is not set gives an empty value).",
        fix: `Leave \`${name}\` out to use its default (${def.default}), or pass a value that is set.`,
      });
      continue;
    }
    const raw = given === undefined || given === "" ? def.default : given;
    if (raw !== undefined && EXPRESSION.test(raw)) {
      problems.push({
        input: name,
        message: `is the unexpanded workflow expression ${raw}.`,
        fix: `Leave \`${name}\` out to use its default, or pass a value that is set.`,
      });
      continue;
    }
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
    const tooLong = problemFromLength(name, def, raw);
    if (tooLong) {
      problems.push({ input: name, ...tooLong });
      continue;
    }
    const baseValue = def.relativeTo ? values[camelCase(def.relativeTo)] : undefined;
    const base = typeof baseValue === "string" ? workspace.locate(baseValue) : workspace.root;
    try {
      values[camelCase(name)] = def.parse(raw, { workspace, base });
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
