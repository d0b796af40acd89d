// Bundled from packages/core/src/github/watch-selection.ts by scripts/build.ts; do not edit.
"use strict";
var __defProp = Object.defineProperty;
var __getOwnPropDesc = Object.getOwnPropertyDescriptor;
var __getOwnPropNames = Object.getOwnPropertyNames;
var __hasOwnProp = Object.prototype.hasOwnProperty;
var __export = (target, all) => {
  for (var name in all)
    __defProp(target, name, { get: all[name], enumerable: true });
};
var __copyProps = (to, from, except, desc) => {
  if (from && typeof from === "object" || typeof from === "function") {
    for (let key of __getOwnPropNames(from))
      if (!__hasOwnProp.call(to, key) && key !== except)
        __defProp(to, key, { get: () => from[key], enumerable: !(desc = __getOwnPropDesc(from, key)) || desc.enumerable });
  }
  return to;
};
var __toCommonJS = (mod) => __copyProps(__defProp({}, "__esModule", { value: true }), mod);

// packages/core/src/github/watch-selection.ts
var watch_selection_exports = {};
__export(watch_selection_exports, {
  decideWatch: () => decideWatch,
  parseWatchDuration: () => parseWatchDuration,
  selectDeploymentToCheck: () => selectDeploymentToCheck
});
module.exports = __toCommonJS(watch_selection_exports);

// packages/core/src/ecs/arns.ts
var TASK_DEFINITION_ARN = /^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:task-definition\/[a-zA-Z0-9_-]{1,255}:\d+$/;

// packages/core/src/runtime/inputs.ts
var import_node_path2 = require("node:path");

// packages/core/src/runtime/workspace.ts
var import_node_fs = require("node:fs");
var import_node_path = require("node:path");
var WorkspacePathError = class extends Error {
};
function realpathOfExisting(absolute) {
  let existing = absolute;
  const rest = [];
  while (!(0, import_node_fs.existsSync)(existing)) {
    const parent = (0, import_node_path.dirname)(existing);
    if (parent === existing) break;
    rest.unshift(existing.slice(parent.length).replace(/^[\\/]+/, ""));
    existing = parent;
  }
  let real;
  try {
    real = import_node_fs.realpathSync.native(existing);
  } catch {
    real = existing;
  }
  return rest.length === 0 ? real : (0, import_node_path.join)(real, ...rest);
}
function within(root, path) {
  const rel = (0, import_node_path.relative)(root, path);
  return rel === "" || !rel.startsWith(`..${import_node_path.sep}`) && rel !== ".." && !(0, import_node_path.isAbsolute)(rel);
}
var GLOB_SYNTAX = /[*?[\]{}()!+@]/;
var Workspace = class _Workspace {
  /** The workspace as given, resolved to an absolute path. */
  root;
  /** The same with symbolic links followed: what "inside" is measured against. */
  realRoot;
  constructor(root) {
    this.root = (0, import_node_path.resolve)(root);
    this.realRoot = realpathOfExisting(this.root);
  }
  /** The workspace of the job: GITHUB_WORKSPACE, or the current directory outside a runner. */
  static fromEnv(env = process.env) {
    return new _Workspace(env.GITHUB_WORKSPACE || process.cwd());
  }
  /** Whether an absolute path is inside the workspace once its symbolic links are followed. */
  contains(absolute) {
    return within(this.root, absolute) && within(this.realRoot, realpathOfExisting(absolute));
  }
  /**
   * Resolves a path given by the user (relative to `base`, the workspace by default; absolute paths
   * are taken as they are) and throws WorkspacePathError when it, or a link on its way, leads out.
   */
  locate(path, base = this.root) {
    const absolute = (0, import_node_path.resolve)(base, path);
    if (!within(this.root, absolute)) {
      throw new WorkspacePathError(
        `${JSON.stringify(path)} is outside the workspace (it resolves to ${absolute}).`
      );
    }
    const real = realpathOfExisting(absolute);
    if (!within(this.realRoot, real)) {
      throw new WorkspacePathError(
        `${JSON.stringify(path)} leads outside the workspace through a symbolic link (to ${real}).`
      );
    }
    return absolute;
  }
  /**
   * Checks a glob pattern's reach: the pattern with `..` resolved must stay inside, and so must the
   * directory its fixed leading part names (links followed). Returns the pattern relative to `base`,
   * in posix form, for a matcher whose cwd is `base`. Negated patterns (`!x`) only exclude files.
   */
  globPattern(pattern, base = this.root) {
    if (pattern.startsWith("!")) return pattern;
    const absolute = (0, import_node_path.resolve)(base, pattern);
    if (!within(this.root, absolute)) {
      throw new WorkspacePathError(
        `the pattern ${JSON.stringify(pattern)} reaches outside the workspace (it resolves to ${absolute}).`
      );
    }
    const segments = (0, import_node_path.relative)(this.root, absolute).split(import_node_path.sep);
    const firstGlob = segments.findIndex((s) => GLOB_SYNTAX.test(s));
    const fixed = firstGlob < 0 ? segments : segments.slice(0, firstGlob);
    const real = realpathOfExisting((0, import_node_path.join)(this.root, ...fixed));
    if (!within(this.realRoot, real)) {
      throw new WorkspacePathError(
        `the pattern ${JSON.stringify(pattern)} leads outside the workspace through a symbolic link (to ${real}).`
      );
    }
    return (0, import_node_path.relative)(base, absolute).split(import_node_path.sep).join(import_node_path.posix.sep) || ".";
  }
  /** The directory a glob pattern's fixed leading part names, relative to `base` ("" for `base`). */
  static fixedDirectory(pattern) {
    const segments = pattern.split("/");
    const firstGlob = segments.findIndex((s) => GLOB_SYNTAX.test(s));
    return segments.slice(0, firstGlob < 0 ? segments.length - 1 : firstGlob).join("/");
  }
  /** Throws WorkspacePathError unless the path is an existing directory (or file). */
  static requireExisting(absolute, shown, what) {
    let stat;
    try {
      stat = (0, import_node_fs.statSync)(absolute);
    } catch {
      stat = void 0;
    }
    if (!stat) throw new WorkspacePathError(`${JSON.stringify(shown)} does not exist in the workspace.`);
    if (what === "directory" && !stat.isDirectory()) {
      throw new WorkspacePathError(`${JSON.stringify(shown)} is not a directory.`);
    }
    if (what === "file" && !stat.isFile()) {
      throw new WorkspacePathError(`${JSON.stringify(shown)} is not a file.`);
    }
  }
};

// packages/core/src/runtime/inputs.ts
var InvalidValue = class extends Error {
  constructor(message, fix) {
    super(message);
    this.fix = fix;
  }
  fix;
};
var DEFAULT_MAX_LENGTH = {
  string: 1024,
  text: 4096,
  path: 4096,
  globs: 4096,
  url: 2048,
  boolean: 16,
  integer: 32,
  number: 32,
  duration: 64,
  choice: 256,
  list: 16384,
  "key-values": 32768,
  json: 131072
};
function define(kind, options, parse, extra = {}) {
  return {
    kind,
    required: options.required ?? false,
    default: options.default,
    secret: options.secret ?? false,
    maxLength: options.maxLength ?? DEFAULT_MAX_LENGTH[kind],
    freeText: extra.freeText ?? false,
    relativeTo: extra.relativeTo,
    parse
  };
}
function quote(raw) {
  const oneLine = raw.replace(/\s*\n\s*/g, "\u23CE");
  return JSON.stringify(oneLine.length > 60 ? `${oneLine.slice(0, 57)}...` : oneLine);
}
var SHELL_SYNTAX = new RegExp("[\\s$`'\"\\\\;|&<>(){}!*?[\\]#~^]|\\p{Cc}", "u");
function checkIdentifier(raw, shown) {
  const bad = SHELL_SYNTAX.exec(raw);
  if (bad) {
    const char = /\s/.test(bad[0]) ? "whitespace" : JSON.stringify(bad[0]);
    throw new InvalidValue(
      `${shown} contains ${char}, which no valid value has.`,
      "Give the value itself, without quotes, spaces or shell syntax."
    );
  }
}
function parseString(options) {
  return (raw) => {
    const shown = options.secret ? "The value" : quote(raw);
    if (options.pattern && !options.pattern.test(raw)) {
      throw new InvalidValue(
        `${shown} is not valid.`,
        options.hint ?? `Give a value matching ${options.pattern}.`
      );
    }
    if (!options.pattern && !options.check) checkIdentifier(raw, shown);
    options.check?.(raw);
    return raw;
  };
}
function parsePath(options) {
  return (raw, context) => {
    if (options.references?.test(raw)) return raw;
    if (new RegExp("\\p{Cc}", "u").test(raw)) {
      throw new InvalidValue(`${quote(raw)} contains a control character.`, "Give a plain path.");
    }
    try {
      const absolute = context.workspace.locate(raw, context.base);
      if (options.mustExist) Workspace.requireExisting(absolute, raw, options.mustExist);
    } catch (error) {
      if (!(error instanceof WorkspacePathError)) throw error;
      throw new InvalidValue(
        error.message,
        options.mustExist && !/outside/.test(error.message) ? `Give a ${options.mustExist} of the checkout (relative to the workspace), or check the checkout step ran first.` : "Give a path inside the repository checkout, relative to the workspace; `..` may not climb out of it, and a symbolic link may not point out of it."
      );
    }
    return raw;
  };
}
function parseGlobs(options) {
  return (raw, context) => parseList(raw, { separator: "newline" }).map((pattern) => {
    try {
      const relativePattern = context.workspace.globPattern(pattern, context.base);
      const fixed = Workspace.fixedDirectory(relativePattern);
      if (options.mustExist && !relativePattern.startsWith("!")) {
        Workspace.requireExisting((0, import_node_path2.resolve)(context.base, fixed), fixed || ".", "directory");
      }
      return relativePattern;
    } catch (error) {
      if (!(error instanceof WorkspacePathError)) throw error;
      throw new InvalidValue(
        /outside/.test(error.message) ? error.message : `the pattern ${JSON.stringify(pattern)} looks in ${error.message.replace(/\.$/, "")}, so it matches nothing.`,
        "Give patterns inside the repository checkout, relative to the directory they are read from (`..` may not climb out of the workspace), into a folder that exists."
      );
    }
  });
}
var BOOLEAN_TRUE = /* @__PURE__ */ new Set(["true", "True", "TRUE"]);
var BOOLEAN_FALSE = /* @__PURE__ */ new Set(["false", "False", "FALSE"]);
function parseBoolean(raw) {
  if (BOOLEAN_TRUE.has(raw)) return true;
  if (BOOLEAN_FALSE.has(raw)) return false;
  throw new InvalidValue(`${quote(raw)} is not a boolean.`, 'Write "true" or "false".');
}
function checkRange(value, options, shown) {
  if (options.min !== void 0 && value < options.min) {
    throw new InvalidValue(
      `${shown} is below the minimum of ${options.min}.`,
      `Give a value of at least ${options.min}.`
    );
  }
  if (options.max !== void 0 && value > options.max) {
    throw new InvalidValue(
      `${shown} is above the maximum of ${options.max}.`,
      `Give a value of at most ${options.max}.`
    );
  }
  return value;
}
function parseInteger(raw, options = {}) {
  const value = /^[+-]?\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value)) {
    throw new InvalidValue(`${quote(raw)} is not a whole number.`, 'Write digits only, such as "3".');
  }
  return checkRange(value, options, String(value));
}
function parseNumber(raw, options = {}) {
  const value = /^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isFinite(value)) {
    throw new InvalidValue(`${quote(raw)} is not a number.`, 'Write a decimal number such as "0.05" or "2".');
  }
  return checkRange(value, options, String(value));
}
var DURATION_UNITS = { h: 36e5, m: 6e4, s: 1e3, ms: 1 };
var DURATION_ORDER = ["h", "m", "s", "ms"];
function parseDurationMs(raw) {
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
    const unit = part[2];
    const index = DURATION_ORDER.indexOf(unit);
    if (index <= lastIndex) {
      throw new InvalidValue(`${quote(raw)} repeats or misorders its units.`, fix);
    }
    lastIndex = index;
    total += Number(part[1]) * DURATION_UNITS[unit];
  }
  return total;
}
function parseDurationInput(options) {
  const min = options.min === void 0 ? void 0 : parseDurationMs(options.min);
  const max = options.max === void 0 ? void 0 : parseDurationMs(options.max);
  return (raw) => {
    const value = parseDurationMs(raw);
    if (min !== void 0 && value < min) {
      throw new InvalidValue(
        `${quote(raw)} is shorter than the minimum of ${options.min}.`,
        `Give at least ${options.min}.`
      );
    }
    if (max !== void 0 && value > max) {
      throw new InvalidValue(
        `${quote(raw)} is longer than the maximum of ${options.max}.`,
        `Give at most ${options.max}.`
      );
    }
    return value;
  };
}
function parseList(raw, options = {}) {
  const items = [];
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
          "Remove the extra comma, or give a value between the commas."
        );
      }
      if (options.itemPattern && !options.itemPattern.test(item)) {
        throw new InvalidValue(
          `the item ${quote(item)} is not valid.`,
          options.itemHint ?? `Each item must match ${options.itemPattern}.`
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
function parseKeyValues(raw, options = {}) {
  const entries = /* @__PURE__ */ new Map();
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
    if (key === "__proto__" || /\s/.test(key) || options.keyPattern && !options.keyPattern.test(key)) {
      throw new InvalidValue(
        `${where} has an invalid key ${quote(key)}.`,
        options.keyHint ?? "Keys have no spaces; write key=value."
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
function parseJsonInput(options) {
  return (raw) => {
    let value;
    try {
      value = JSON.parse(raw);
    } catch (error) {
      const detail = options.secret ? "" : ` (${error instanceof Error ? error.message : String(error)})`;
      throw new InvalidValue(
        `it is not valid JSON${detail}.`,
        options.hint ?? "Check quotes, commas and brackets."
      );
    }
    if (!options.validate) return value;
    try {
      return options.validate(value);
    } catch (error) {
      if (error instanceof InvalidValue) throw error;
      const detail = error instanceof Error ? error.message : String(error);
      throw new InvalidValue(
        `the JSON does not have the expected shape: ${detail}`,
        options.hint ?? "See the action's README."
      );
    }
  };
}
function parseChoice(values) {
  return (raw) => {
    if (values.includes(raw)) return raw;
    throw new InvalidValue(
      `${quote(raw)} is not one of the allowed values.`,
      `Use one of: ${values.map((v) => `"${v}"`).join(", ")}.`
    );
  };
}
var HOST = /^(\[[0-9a-f:.]+\]|[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*\.?)$/i;
function checkUrl(raw, options = {}) {
  const protocols = options.protocols ?? ["http:", "https:"];
  const shown = options.secret ? "The value" : quote(raw);
  const example = options.example ?? `${protocols[0]}//example.com/health`;
  let url;
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
      `Give a host name or IP address, such as ${example}.`
    );
  }
  if ((options.credentials ?? "refuse") === "refuse" && (url.username || url.password)) {
    throw new InvalidValue(
      "The URL carries a user name or password, which would be shown to everyone who can see it.",
      "Give the URL without credentials (no user:password@ before the host)."
    );
  }
}
var input = {
  /** A name, an ARN, a tag, a reference: matched by its pattern, and never holding shell syntax. */
  string: (options = {}) => define("string", options, parseString(options)),
  /** Free text (a reason, a title, a command line, a YAML document): only its length is limited. */
  text: (options = {}) => define("text", options, (raw) => raw, { freeText: true }),
  /** A path inside the workspace, as given. */
  path: (options = {}) => define("path", options, parsePath(options), { relativeTo: options.relativeTo }),
  /** Glob patterns, one per line, inside the workspace; returned relative to their directory. */
  globs: (options = {}) => define("globs", options, parseGlobs(options), { relativeTo: options.relativeTo }),
  url: (options = {}) => define("url", options, (raw) => {
    checkUrl(raw, options);
    return raw;
  }),
  boolean: (options = {}) => define("boolean", options, parseBoolean),
  integer: (options = {}) => define("integer", options, (raw) => parseInteger(raw, options)),
  number: (options = {}) => define("number", options, (raw) => parseNumber(raw, options)),
  duration: (options = {}) => define("duration", options, parseDurationInput(options)),
  list: (options = {}) => define("list", options, (raw) => parseList(raw, listChecks(options)), {
    freeText: options.freeText ?? false
  }),
  keyValues: (options = {}) => define("key-values", options, (raw) => parseKeyValues(raw, keyChecks(options)), {
    freeText: options.freeText ?? false
  }),
  json: (options = {}) => define("json", options, parseJsonInput(options)),
  choice: (values, options = {}) => define("choice", options, parseChoice(values))
};
function listChecks(options) {
  if (options.freeText || options.itemPattern) return options;
  const { itemCheck } = options;
  return {
    ...options,
    itemCheck: (item) => {
      if (!itemCheck) checkIdentifier(item, `the item ${quote(item)}`);
      itemCheck?.(item);
    }
  };
}
var KEY = /^[A-Za-z0-9_][A-Za-z0-9_.:/@-]*$/;
function keyChecks(options) {
  if (options.freeText || options.keyPattern) return options;
  return { ...options, keyPattern: KEY, keyHint: "Keys are letters, digits and `_.-/:@`; write key=value." };
}

// packages/core/src/ecs/services-input.ts
var CLUSTER = /^(arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:cluster\/)?[a-zA-Z0-9_-]{1,255}$/;
var SERVICE = /^(arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:service\/[a-zA-Z0-9_-]+\/)?[a-zA-Z0-9_-]{1,255}$/;
var CLUSTER_HINT = "Give the cluster's name (letters, digits, - and _) or its ARN.";
var SERVICES_HINT = "Give service names (or ARNs), comma or newline separated.";
var servicesInputSpec = {
  cluster: input.string({ required: true, pattern: CLUSTER, hint: CLUSTER_HINT }),
  services: input.list({ required: true, itemPattern: SERVICE, itemHint: SERVICES_HINT })
};
var optionalServicesInputSpec = {
  cluster: input.string({ pattern: CLUSTER, hint: CLUSTER_HINT }),
  services: input.list({ itemPattern: SERVICE, itemHint: SERVICES_HINT })
};

// packages/core/src/ecs/deploy-record.ts
var DEPLOY_RECORD_VERSION = 1;
var SERVICE_DEPLOYMENT_ARN = /^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:service-deployment\/\S+$/;
function isRecord(value) {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
function arnOrNull(value, pattern, where) {
  if (value === null || value === void 0 || value === "") return null;
  if (typeof value !== "string" || !pattern.test(value)) throw new Error(`${where} is not a valid ARN`);
  return value;
}
function serviceOf(value, index) {
  const where = `services[${index}]`;
  if (!isRecord(value)) throw new Error(`${where} is not an object`);
  if (typeof value.name !== "string" || !SERVICE.test(value.name) || value.name.includes("/"))
    throw new Error(`${where}.name is not a service name`);
  return {
    name: value.name,
    previousTaskDefinitionArn: arnOrNull(
      value.previousTaskDefinitionArn,
      TASK_DEFINITION_ARN,
      `${where}.previousTaskDefinitionArn`
    ),
    serviceDeploymentArn: arnOrNull(
      value.serviceDeploymentArn,
      SERVICE_DEPLOYMENT_ARN,
      `${where}.serviceDeploymentArn`
    )
  };
}
function imagesOf(value) {
  if (value === void 0) return {};
  if (!isRecord(value) || !Object.values(value).every((v) => typeof v === "string"))
    throw new Error("images is not an object of container -> image");
  return value;
}
function parseDeployRecord(value) {
  if (!isRecord(value)) throw new Error("it is not a JSON object");
  if (value.version !== DEPLOY_RECORD_VERSION)
    throw new Error(`version is ${JSON.stringify(value.version)}, not ${DEPLOY_RECORD_VERSION}`);
  if (typeof value.cluster !== "string" || !CLUSTER.test(value.cluster))
    throw new Error("cluster is not a cluster name or ARN");
  if (typeof value.taskDefinitionArn !== "string" || !TASK_DEFINITION_ARN.test(value.taskDefinitionArn))
    throw new Error("taskDefinitionArn is not a task-definition ARN");
  if (!Array.isArray(value.services) || value.services.length === 0)
    throw new Error("services is not a non-empty list");
  const services = value.services.map(serviceOf);
  if (new Set(services.map((s) => s.name)).size !== services.length)
    throw new Error("services names a service twice");
  return {
    version: DEPLOY_RECORD_VERSION,
    cluster: value.cluster,
    taskDefinitionArn: value.taskDefinitionArn,
    status: typeof value.status === "string" ? value.status : "",
    services,
    images: imagesOf(value.images)
  };
}

// packages/core/src/runtime/format.ts
function formatDuration(ms) {
  if (ms < 1e3) return `${ms}ms`;
  let rest = Math.round(ms / 1e3);
  const h = Math.floor(rest / 3600);
  rest -= h * 3600;
  const m = Math.floor(rest / 60);
  const s = rest - m * 60;
  return `${h ? `${h}h` : ""}${m ? `${m}m` : ""}${s || !h && !m ? `${s}s` : ""}`;
}

// packages/core/src/github/deployment-record.ts
var DEPLOYMENT_RECORD_VERSION = 1;
var DIGEST = /^sha256:[0-9a-f]{64}$/;
var TASK_DEFINITION_ARN2 = /^arn:aws[\w-]*:ecs:[\w-]+:\d{12}:task-definition\/[\w-]{1,255}:\d+$/;
function digestOfReference(image) {
  const at = image.lastIndexOf("@");
  if (at < 0) return null;
  const digest = image.slice(at + 1);
  return DIGEST.test(digest) ? digest : null;
}
function revisionOf(arn) {
  return arn.slice(arn.lastIndexOf("/") + 1);
}
function rollbackPayload(taskDefinitionArn, rolledBackFrom) {
  return {
    shipline: "auto-rollback",
    version: DEPLOYMENT_RECORD_VERSION,
    taskDefinitionArn,
    rolledBackFrom: [...rolledBackFrom]
  };
}
function isObject(value) {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
function payloadObject(raw) {
  if (typeof raw === "string") {
    try {
      const parsed = JSON.parse(raw);
      return isObject(parsed) ? parsed : void 0;
    } catch {
      return void 0;
    }
  }
  return isObject(raw) ? raw : void 0;
}
function stringRecord(value) {
  if (!isObject(value)) return {};
  return Object.fromEntries(
    Object.entries(value).filter((entry) => typeof entry[1] === "string")
  );
}
function containersOf(value, images) {
  if (Array.isArray(value)) {
    return value.flatMap((c) => {
      if (!isObject(c) || typeof c.name !== "string" || typeof c.image !== "string") return [];
      const digest = typeof c.digest === "string" && DIGEST.test(c.digest) ? c.digest : null;
      const named = digestOfReference(c.image);
      return [{ name: c.name, image: c.image, digest: named !== null && named !== digest ? null : digest }];
    });
  }
  return Object.entries(images).map(([name, image]) => ({ name, image, digest: digestOfReference(image) }));
}
function migrationsOf(value) {
  if (!Array.isArray(value)) return null;
  return value.flatMap(
    (m) => isObject(m) && typeof m.file === "string" ? [{ file: m.file, destructive: m.destructive === true }] : []
  );
}
function overrideOf(value) {
  if (!isObject(value) || typeof value.reason !== "string") return null;
  return {
    checks: Array.isArray(value.checks) ? value.checks.filter((c) => typeof c === "string") : [],
    reason: value.reason,
    actor: typeof value.actor === "string" ? value.actor : null,
    runUrl: typeof value.runUrl === "string" ? value.runUrl : null
  };
}
function parseDeploymentPayload(raw) {
  const value = payloadObject(raw);
  if (!value) return void 0;
  const version = value.version ?? 0;
  if (version !== 0 && version !== DEPLOYMENT_RECORD_VERSION) return void 0;
  if (typeof value.taskDefinitionArn !== "string" || !TASK_DEFINITION_ARN2.test(value.taskDefinitionArn))
    return void 0;
  if (value.shipline === "auto-rollback") {
    return rollbackPayload(
      value.taskDefinitionArn,
      Array.isArray(value.rolledBackFrom) ? value.rolledBackFrom.filter((a) => typeof a === "string") : []
    );
  }
  if (value.shipline !== "ecs-deploy") return void 0;
  const images = stringRecord(value.images);
  return {
    shipline: "ecs-deploy",
    version: DEPLOYMENT_RECORD_VERSION,
    cluster: typeof value.cluster === "string" ? value.cluster : "",
    services: Array.isArray(value.services) ? value.services.filter((s) => typeof s === "string") : [],
    taskDefinitionArn: value.taskDefinitionArn,
    revision: revisionOf(value.taskDefinitionArn),
    previousTaskDefinitionArn: stringRecord(value.previousTaskDefinitionArn),
    images,
    containers: containersOf(value.containers, images),
    migrations: migrationsOf(value.migrations),
    override: overrideOf(value.override)
  };
}
var MARK = /^\[shipline (rolled-out|gate:pass|gate:fail|gate:inconclusive|rolled-back|verified)\] ?/;
function parseMark(description) {
  const match = MARK.exec(description ?? "");
  const token = match?.[1];
  if (!token) return void 0;
  if (token.startsWith("gate:")) return { kind: "gate", verdict: token.slice(5) };
  return { kind: token };
}
function noteDate(time, headers) {
  if (!time) return;
  const date = typeof headers.date === "string" ? Date.parse(headers.date) : Number.NaN;
  if (Number.isFinite(date) && (time.latest === void 0 || date > time.latest)) time.latest = date;
}
function environmentPage(repo, environment, env) {
  const server = env.GITHUB_SERVER_URL ?? "https://github.com";
  return `${server}/${repo.owner}/${repo.repo}/deployments/${encodeURIComponent(environment)}`;
}
async function recordedDeployments(github, repo, query) {
  const limit = query.limit ?? 100;
  const out = [];
  const env = query.env ?? process.env;
  for (let page = 1; out.length < limit; page++) {
    const response = await github.rest.repos.listDeployments({
      ...repo,
      environment: query.environment,
      task: "deploy",
      ...query.sha ? { sha: query.sha } : {},
      per_page: 100,
      page
    });
    noteDate(query.time, response.headers);
    const listed = response.data;
    for (const d of listed) {
      if (d.environment !== query.environment) continue;
      const payload = parseDeploymentPayload(d.payload);
      if (!payload) continue;
      out.push({
        id: d.id,
        sha: d.sha,
        ref: d.ref,
        environment: d.environment,
        createdAt: Date.parse(d.created_at),
        url: environmentPage(repo, d.environment, env),
        payload,
        statuses: []
      });
      if (out.length >= limit) break;
    }
    if (listed.length < 100) break;
  }
  return out;
}
async function statusesOf(github, repo, deploymentId, time) {
  const response = await github.rest.repos.listDeploymentStatuses({
    ...repo,
    deployment_id: deploymentId,
    per_page: 100
  });
  noteDate(time, response.headers);
  return response.data.map((s) => ({
    state: s.state,
    description: s.description ?? "",
    mark: parseMark(s.description),
    at: Date.parse(s.created_at),
    logUrl: s.log_url ?? s.target_url ?? void 0
  })).sort((a, b) => b.at - a.at);
}

// packages/core/src/github/watch-selection.ts
function parseWatchDuration(input2, text) {
  try {
    return parseDurationMs(String(text ?? "").trim());
  } catch (error) {
    if (error instanceof InvalidValue) throw new Error(`${input2}: ${error.message} ${error.fix}`);
    throw error;
  }
}
var ago = (ms) => `${formatDuration(Math.max(0, ms))} ago`;
function latestDecision(statuses) {
  return statuses.find((s) => s.mark !== void 0);
}
function decideWatch(newest, now, window, environment) {
  if (!newest)
    return { due: false, reason: `No deployment of ${environment} by shipline: nothing to check.` };
  const { id, payload } = newest;
  if (payload.shipline !== "ecs-deploy") {
    return {
      due: false,
      reason: `The newest deployment of ${environment} (${id}) is auto-rollback's restore of ${payload.taskDefinitionArn}: nothing to check.`
    };
  }
  const what = `Deployment ${id} of ${environment} (${payload.revision})`;
  const age = now - newest.createdAt;
  if (age > window.maxAgeMs) {
    return {
      due: false,
      reason: `${what} is ${formatDuration(Math.max(0, age))} old, older than max-age: nothing to check.`
    };
  }
  const decision = latestDecision(newest.statuses);
  const mark = decision?.mark;
  if (!decision || !mark || mark.kind === "rolled-out") {
    return { due: false, reason: `${what} has no gate verdict yet: its deploy job is still on it.` };
  }
  if (mark.kind === "verified") {
    return {
      due: true,
      deploymentId: id,
      payload,
      reason: `${what}: its deploy job's watch verified it ${ago(now - decision.at)}; checking it.`
    };
  }
  if (mark.kind === "rolled-back" || mark.kind === "gate" && mark.verdict === "fail") {
    return {
      due: false,
      reason: `${what} is already marked ${mark.kind === "rolled-back" ? "rolled back" : "failed"}: nothing to check.`
    };
  }
  const since = now - decision.at;
  const verdict = `gate ${mark.verdict}`;
  if (since < window.settleMs) {
    return {
      due: false,
      reason: `${what}: ${verdict} ${ago(since)}, younger than skip-younger-than: its deploy job may still be watching it.`
    };
  }
  return {
    due: true,
    deploymentId: id,
    payload,
    reason: `${what}: ${verdict} ${ago(since)} and no watch verified it; checking it.`
  };
}
function deployRecordOfPayload(payload, deploymentId) {
  try {
    return parseDeployRecord({
      version: 1,
      cluster: payload.cluster,
      taskDefinitionArn: payload.taskDefinitionArn,
      status: "succeeded",
      services: payload.services.map((name) => ({
        name,
        previousTaskDefinitionArn: payload.previousTaskDefinitionArn[name] ?? null,
        serviceDeploymentArn: null
      })),
      images: payload.images
    });
  } catch (error) {
    throw new Error(
      `GitHub deployment ${deploymentId}'s payload does not describe a deploy that can be rolled back (${error.message}).`
    );
  }
}
async function selectDeploymentToCheck(github, repo, options) {
  const window = {
    maxAgeMs: parseWatchDuration("max-age", options.maxAge),
    settleMs: parseWatchDuration("skip-younger-than", options.skipYoungerThan)
  };
  if (!options.environment.trim()) throw new Error("environment: it is empty; name the GitHub environment.");
  const time = { latest: void 0 };
  const [newest] = await recordedDeployments(github, repo, {
    environment: options.environment,
    limit: 1,
    time,
    ...options.env ? { env: options.env } : {}
  });
  if (newest) newest.statuses = await statusesOf(github, repo, newest.id, time);
  const now = time.latest ?? Date.now();
  const selection = decideWatch(newest, now, window, options.environment);
  if (!selection.due) return selection;
  return { ...selection, record: deployRecordOfPayload(selection.payload, selection.deploymentId) };
}
// Annotate the CommonJS export names for ESM import in node:
0 && (module.exports = {
  decideWatch,
  parseWatchDuration,
  selectDeploymentToCheck
});
