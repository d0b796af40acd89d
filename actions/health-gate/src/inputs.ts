// The inputs of health-gate; a contract test keeps this spec equal to action.yml.
import { awsInputSpec } from "@shipline/core/aws/clients";
import { type InputSpec, type InputValues, input } from "@shipline/core/runtime/inputs";

const URL_OR_PATH = /^(https?:\/\/\S+|\/\S*)$/i;
const URL_OR_PATH_HINT = "Give absolute http(s) URLs, or paths starting with / appended to `base-url`.";

export const inputSpec = {
  "base-url": input.url(),
  "health-urls": input.list({ itemPattern: URL_OR_PATH, itemHint: URL_OR_PATH_HINT }),
  "expected-status": input.list({
    default: "200",
    itemPattern: /^[1-5](\d\d|xx)$/i,
    itemHint: 'Give status codes such as "200" or classes such as "2xx".',
  }),
  "json-assertions": input.keyValues(),
  "expected-version": input.string(),
  "version-json-path": input.string(),
  "version-header": input.string({
    pattern: /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/,
    hint: "Give a header name such as x-service-version.",
  }),
  "smoke-tests": input.string(),
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
  "load-balancer": input.string(),
  "metrics-urls": input.list({ itemPattern: URL_OR_PATH, itemHint: URL_OR_PATH_HINT }),
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
  "prometheus-url": input.url(),
  "prometheus-queries": input.string(),
  "prometheus-headers": input.keyValues({ secret: true }),
  "error-rate-threshold": input.number({ default: "0.05", min: 0, max: 1 }),
  "latency-p95-threshold": input.duration({ default: "2s", min: "1ms" }),
  "min-requests": input.integer({ default: "20", min: 1 }),
  "warm-up": input.duration({ default: "0s", max: "1h" }),
  "probe-interval": input.duration({ default: "5s", min: "50ms", max: "5m" }),
  "probe-timeout": input.duration({ default: "2s", min: "10ms", max: "5m" }),
  "success-threshold": input.integer({ default: "3", min: 1, max: 100 }),
  "failure-threshold": input.integer({ default: "3", min: 1, max: 100 }),
  soak: input.duration({ default: "1m", max: "6h" }),
  timeout: input.duration({ default: "10m", min: "1s", max: "6h" }),
  "on-inconclusive": input.choice(["fail", "pass"], { default: "fail" }),
  ...awsInputSpec,
} satisfies InputSpec;

export type Inputs = InputValues<typeof inputSpec>;
