// Secret registry: masks values in the runner's log and redacts them from everything shipline writes
// (log lines, summaries, outputs, state, GitHub API bodies), which the runner does not mask. Besides
// the values registered, every text it redacts loses the password of any URL in it.

export interface SecretSink {
  /** Tells the runner to mask the value in the job log (the `::add-mask::` command). */
  mask(value: string): void;
}

const MIN_LENGTH = 3;
/**
 * A value registered only because of its name (not because an input was marked secret) is masked
 * from this length on: credentials are longer, and masking "true" or "3600" would blank ordinary words
 * all over the log.
 */
const MIN_NAMED_LENGTH = 6;

/**
 * The last word of a variable name that says its value is a credential: `DB_PASSWORD`, `API_KEY`,
 * `GITHUB_TOKEN`, `AWS_SECRET_ACCESS_KEY`, `STRIPE_SECRET`, `SENTRY_DSN`, `BASIC_AUTH`. The last
 * word, because a name names what its value is: `TOKEN_TTL` and `PASSWORD_MIN_LENGTH` hold numbers.
 */
const CREDENTIAL_WORDS = new Set([
  "PASSWORD",
  "PASSWD",
  "PASS",
  "PWD",
  "PASSPHRASE",
  "SECRET",
  "SECRETS",
  "TOKEN",
  "TOKENS",
  "KEY",
  "APIKEY",
  "CREDENTIAL",
  "CREDENTIALS",
  "CREDS",
  "AUTH",
  "AUTHORIZATION",
  "COOKIE",
  "DSN",
  "SIGNATURE",
]);

/**
 * Connection strings carry a password inside a URL or in a `password=` parameter: the whole value of
 * `DATABASE_URL`, `REDIS_URL`, `MONGODB_URI`, `*_CONNECTION_STRING` and the like is a credential.
 */
const CONNECTION_STRING =
  /(^|_)(DATABASE|DB|POSTGRES|POSTGRESQL|PG|MYSQL|MARIADB|REDIS|MONGO|MONGODB|AMQP|RABBITMQ|BROKER|CACHE|ELASTICSEARCH|KAFKA)_(URL|URI)$|(^|_)(CONNECTION_STRING|CONN_STR|CONNECTION_URL)$/;

/**
 * Whether an environment variable (or key=value key) name says its value is a credential. The name
 * may carry a prefix before a dot (`web.DATABASE_URL`, a container's variable); case and `-` are
 * ignored (`INPUT_GITHUB-TOKEN`, `apiKey`). `PWD` alone is the working directory, not a password.
 */
export function looksLikeCredential(name: string): boolean {
  const bare = name.slice(name.lastIndexOf(".") + 1);
  const upper = bare
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/[-\s]+/g, "_")
    .toUpperCase();
  if (upper === "PWD" || upper === "OLDPWD") return false;
  if (CONNECTION_STRING.test(upper)) return true;
  const words = upper.split("_").filter(Boolean);
  const last = words[words.length - 1];
  return last !== undefined && CREDENTIAL_WORDS.has(last);
}

/** Values that are never credentials however they are named: masking them would garble the log. */
const NOT_A_CREDENTIAL = /^(true|false|yes|no|on|off|null|none|nil|undefined|enabled|disabled)$/i;

/**
 * scheme://user:password@host in any text. The password runs to the last "@" before the host (an
 * unencoded "@" in a password is common), so it stops at whitespace, "/", "?", "#" and quotes.
 */
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#@:"'<>]*):([^\s/?#"'<>]+)@/gi;

/** Replaces the password of every URL in the text with ***: `postgres://app:***@db/shop`. */
export function scrubUrlCredentials(text: string): string {
  return text.includes("://") ? text.replace(URL_CREDENTIALS, "$1$2:***@") : text;
}

/**
 * How a value reads once written inside a JSON string (outputs and reports are JSON) or a markdown
 * table cell (the step summary): a quote, backslash or pipe in a password would otherwise slip past
 * redaction in its escaped form.
 */
function printedForms(value: string): string[] {
  const json = JSON.stringify(value).slice(1, -1);
  const tableCell = value.replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(/\r?\n/g, "<br>");
  return [json, tableCell];
}

export class Secrets {
  readonly #values = new Set<string>();
  readonly #sink: SecretSink;

  constructor(sink: SecretSink) {
    this.#sink = sink;
  }

  /**
   * Registers a secret and the forms it commonly takes when printed (URL-encoded, base64, escaped in
   * JSON or a markdown table), before anything can print it. Very short values are not registered:
   * masking "a" would garble the log.
   */
  add(value: string | undefined): void {
    if (value === undefined || value.length < MIN_LENGTH) return;
    const forms = new Set([
      value,
      encodeURIComponent(value),
      Buffer.from(value).toString("base64"),
      ...printedForms(value),
    ]);
    for (const form of forms) {
      if (form.length < MIN_LENGTH || this.#values.has(form)) continue;
      this.#values.add(form);
      // Multi-line secrets are masked line by line by the runner; redact each line too, so a summary
      // hides what the log hides.
      for (const line of form.split(/\r?\n/)) {
        if (line.trim().length < MIN_LENGTH) continue;
        this.#sink.mask(line);
        if (line !== form) this.#values.add(line);
      }
    }
  }

  /** Registers the password (and the whole URL) of a connection URL such as a DATABASE_URL. */
  addUrl(url: string | undefined): void {
    if (!url) return;
    this.add(url);
    this.addUrlCredentials(url);
  }

  /**
   * Registers the password of every URL with credentials in the text, as written (URL-encoded) and
   * decoded, so it is masked wherever it shows up, also outside its URL.
   */
  addUrlCredentials(text: string | undefined): void {
    if (!text?.includes("://")) return;
    for (const match of text.matchAll(URL_CREDENTIALS)) {
      const user = match[2] as string;
      const password = match[3] as string;
      this.add(password);
      try {
        const decoded = decodeURIComponent(password);
        this.add(decoded);
        // The form it travels in as HTTP basic auth (and is echoed in by a service that logs headers).
        this.add(Buffer.from(`${decodeURIComponent(user)}:${decoded}`).toString("base64"));
      } catch {
        // A stray "%": the password as written is registered.
      }
    }
  }

  /**
   * Registers a value when its name says it is a credential (see looksLikeCredential), and the
   * password of any URL in it whatever its name.
   */
  addNamed(name: string, value: string | undefined): void {
    if (value === undefined) return;
    this.addUrlCredentials(value);
    if (looksLikeCredential(name) && value.length >= MIN_NAMED_LENGTH && !NOT_A_CREDENTIAL.test(value)) {
      this.add(value);
    }
  }

  /** Registers every credential-named value of an environment (the process's, a container's). */
  addEnvironment(entries: Iterable<readonly [string, string | undefined]>): void {
    for (const [name, value] of entries) this.addNamed(name, value);
  }

  /**
   * Replaces every registered secret in the text with ***, longest first so overlaps are covered,
   * then the password of any URL left in it.
   */
  redact(text: string): string {
    let out = text;
    if (this.#values.size > 0) {
      const ordered = [...this.#values].sort((a, b) => b.length - a.length);
      for (const value of ordered) {
        if (out.includes(value)) out = out.split(value).join("***");
      }
    }
    return scrubUrlCredentials(out);
  }

  /** Redacts every string inside a JSON-like value (a request body), keys included. */
  redactDeep<T>(value: T): T {
    if (typeof value === "string") return this.redact(value) as T;
    if (Array.isArray(value)) return value.map((item) => this.redactDeep(item)) as T;
    if (value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
      return Object.fromEntries(
        Object.entries(value).map(([key, item]) => [this.redact(key), this.redactDeep(item)]),
      ) as T;
    }
    return value;
  }

  get size(): number {
    return this.#values.size;
  }
}
