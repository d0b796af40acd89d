// The inputs of health-gate; a contract test keeps this spec equal to action.yml.
import { awsInputSpec } from "@shipline/core/aws/inputs";
import { GITHUB_TOKEN, GITHUB_TOKEN_HINT } from "@shipline/core/github/token";
import {
  checkUrl,
  type InputSpec,
  type InputValues,
  InvalidValue,
  input,
  inputError,
  type ValueCheck,
} from "@shipline/core/runtime/inputs";

/** A URL path with its query: what follows the host, without spaces or shell syntax. */
const URL_PATH = /^\/[A-Za-z0-9\-._~!$&'()*+,;=:@%/?]*$/;

/** An absolute http(s) URL (credentials allowed, and masked), or a path appended to `base-url`. */
const urlOrPath: ValueCheck = (item) => {
  if (item.startsWith("/")) {
    if (!URL_PATH.test(item) || /\$\(|`/.test(item)) {
      throw new InvalidValue(
        `the path ${JSON.stringify(item.slice(0, 60))} is not a URL path.`,
        "Give paths such as /health or /metrics?format=text, without spaces or shell syntax.",
      );
    }
    return;
  }
  checkUrl(item, { credentials: "allow" });
};

export const inputSpec = {
  // Basic-auth credentials in these URLs are allowed; their passwords are masked everywhere.
  "base-url": input.url({ credentials: "allow" }),
  "health-urls": input.list({ itemCheck: urlOrPath }),
  "expected-status": input.list({
    default: "200",
    itemPattern: /^[1-5](\d\d|xx)$/i,
    itemHint: 'Give status codes such as "200" or classes such as "2xx".',
  }),
  // JSON paths may quote keys that hold any character (`["a b"]`).
  "json-assertions": input.keyValues({ freeText: true }),
  "expected-version": input.string({
    pattern: /^[A-Za-z0-9][A-Za-z0-9._+:/@-]{0,255}$/,
    hint: "Give the version the service reports, such as v1.5.0 or a commit SHA.",
  }),
  "version-json-path": input.text({ maxLength: 1_024 }),
  "version-header": input.string({
    pattern: /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/,
    hint: "Give a header name such as x-service-version.",
  }),
  "smoke-tests": input.text({ maxLength: 65_536 }),
  "smoke-secrets": input.keyValues({
    secret: true,
    keyPattern: /^[A-Za-z_][A-Za-z0-9_]*$/,
    keyHint: "Names are letters, digits and underscores, such as API_TOKEN.",
  }),
  "target-group-arns": input.list({
    itemPattern: /^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:targetgroup\/[^/\s]+\/[0-9a-f]+$/,
    itemHint:
      "Give target group ARNs such as arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web/0123456789abcdef.",
  }),
  "load-balancer": input.string({
    pattern:
      /^(arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:loadbalancer\/)?app\/[A-Za-z0-9-]{1,32}\/[0-9a-f]{1,32}$/,
    hint: "Give the Application Load Balancer's ARN, or its app/<name>/<id>.",
  }),
  "metrics-urls": input.list({ itemCheck: urlOrPath }),
  "metrics-request-counter": input.string({
    default: "http_requests_total",
    pattern: /^[a-zA-Z_:][a-zA-Z0-9_:]*$/,
    hint: "Give a Prometheus metric name.",
  }),
  "metrics-status-label": input.string({
    default: "code",
    pattern: /^[a-zA-Z_][a-zA-Z0-9_]*$/,
    hint: "Give a Prometheus label name.",
  }),
  "metrics-latency-histogram": input.string({
    default: "http_request_duration_seconds",
    pattern: /^[a-zA-Z_:][a-zA-Z0-9_:]*$/,
    hint: "Give the histogram's name without _bucket.",
  }),
  "prometheus-url": input.url({ credentials: "allow" }),
  "prometheus-queries": input.text({ maxLength: 65_536 }),
  "prometheus-headers": input.keyValues({
    secret: true,
    keyPattern: /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/,
    keyHint: "Header names are letters, digits and -, such as Authorization.",
  }),
  "error-rate-threshold": input.number({ default: "0.05", min: 0, max: 1 }),
  "latency-p95-threshold": input.duration({ default: "2s", min: "1ms" }),
  "min-requests": input.integer({ default: "20", min: 1 }),
  "warm-up": input.duration({ default: "0s", max: "1h" }),
  "probe-interval": input.duration({ default: "5s", min: "50ms", max: "5m" }),
  // No default here: 2s, or the interval when that is shorter (a given value longer than it is refused).
  "probe-timeout": input.duration({ min: "10ms", max: "5m" }),
  "success-threshold": input.integer({ default: "3", min: 1, max: 100 }),
  "failure-threshold": input.integer({ default: "3", min: 1, max: 100 }),
  soak: input.duration({ default: "1m", max: "6h" }),
  timeout: input.duration({ default: "10m", min: "1s", max: "6h" }),
  "on-inconclusive": input.choice(["fail", "pass"], { default: "fail" }),
  watch: input.duration({ default: "0s", max: "24h" }),
  "watch-interval": input.duration({ default: "1m", min: "100ms", max: "1h" }),
  "skip-gate": input.boolean({ default: "false" }),
  "alarm-names": input.list({
    // Printable, and no shell syntax: a name is never a command.
    itemPattern: /^(?!.*(\$\(|`))[\p{L}\p{N}\p{P}\p{S} ]{1,255}$/u,
    itemHint: "Give CloudWatch alarm names as CloudWatch shows them, one per line.",
  }),
  "log-group": input.string({
    pattern: /^[.\-_/#A-Za-z0-9]{1,512}$/,
    hint: "Give a CloudWatch Logs group name such as /ecs/web.",
  }),
  "log-error-pattern": input.text({ default: "?ERROR ?Exception", maxLength: 1_024 }),
  "log-baseline": input.duration({ default: "30m", min: "1m", max: "24h" }),
  "log-error-factor": input.number({ default: "3", min: 1, max: 1_000 }),
  "log-error-min-rate": input.number({ default: "1", min: 0, max: 1_000_000 }),
  "deployed-at": input.string({
    pattern: /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/,
    hint: "Give a UTC time such as 2026-01-31T14:05:00Z (ecs-deploy's report has it as startedAt).",
  }),
  // The verdict is recorded on the GitHub deployment ecs-deploy created, for preflight to read.
  "github-token": input.string({ secret: true, pattern: GITHUB_TOKEN, hint: GITHUB_TOKEN_HINT }),
  "deployment-id": input.integer({ min: 1 }),
  ...awsInputSpec,
} satisfies InputSpec;

export type Inputs = InputValues<typeof inputSpec>;

const CHECK_INPUTS = [
  "health-urls",
  "smoke-tests",
  "target-group-arns",
  "load-balancer",
  "metrics-urls",
  "prometheus-queries",
];

/**
 * The rules between inputs: Prometheus needs its URL and its queries together, and a gate needs at
 * least one check. Checked before the rest of the action is loaded, and again by its settings.
 */
export function checkInputs(inputs: Inputs): void {
  if ((inputs.prometheusUrl === undefined) !== (inputs.prometheusQueries === undefined)) {
    const missing = inputs.prometheusUrl === undefined ? "prometheus-url" : "prometheus-queries";
    throw inputError(
      missing,
      "Prometheus checks need both `prometheus-url` and `prometheus-queries`.",
      `Set \`${missing}\`.`,
    );
  }
  const anyCheck =
    (inputs.healthUrls ?? []).length > 0 ||
    inputs.smokeTests !== undefined ||
    (inputs.targetGroupArns ?? []).length > 0 ||
    inputs.loadBalancer !== undefined ||
    (inputs.metricsUrls ?? []).length > 0 ||
    inputs.prometheusQueries !== undefined ||
    // The watch alone (the scheduled check) may look at alarms and logs only.
    (inputs.skipGate && ((inputs.alarmNames ?? []).length > 0 || inputs.logGroup !== undefined));
  if (!anyCheck) {
    throw inputError(
      "health-urls",
      "no check is configured, and a gate with nothing to look at can only be inconclusive.",
      `Give at least one of: ${CHECK_INPUTS.map((name) => `\`${name}\``).join(", ")}.`,
    );
  }
}
