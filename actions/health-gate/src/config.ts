// Turns the parsed inputs into a gate configuration, checking every rule between inputs before the
// first request, and registering every secret before anything can print it.
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import { awsSettingsFromInputs, createAwsClient, warnIfBeyondSessionLife } from "@shipline/core/aws/clients";
import {
  albMetricsSource,
  loadBalancerDimension,
  targetGroupDimension,
} from "@shipline/core/health/cloudwatch";
import type { GateConfig } from "@shipline/core/health/gate";
import { type HttpClient, resolveUrl } from "@shipline/core/health/http";
import { parseJsonPath } from "@shipline/core/health/json-path";
import type { MetricSource } from "@shipline/core/health/metrics";
import { endpointMetricsSource } from "@shipline/core/health/metrics-endpoint";
import {
  type HealthProbe,
  jsonAssertion,
  parseStatusMatcher,
  type VersionCheck,
} from "@shipline/core/health/probe";
import {
  PrometheusQueriesError,
  parsePrometheusQueries,
  prometheusSource,
} from "@shipline/core/health/prometheus";
import { parseSmokeTests, type SmokeTest, SmokeTestsError } from "@shipline/core/health/smoke";
import { elbTargetHealthReader, type TargetHealthReader } from "@shipline/core/health/target-health";
import type { GateSettings } from "@shipline/core/health/verdict";
import type { Clock } from "@shipline/core/runtime/clock";
import { formatDuration } from "@shipline/core/runtime/format";
import { inputError } from "@shipline/core/runtime/inputs";
import type { Logger } from "@shipline/core/runtime/logger";
import type { Inputs } from "./inputs";

const CHECK_INPUTS = [
  "health-urls",
  "smoke-tests",
  "target-group-arns",
  "load-balancer",
  "metrics-urls",
  "prometheus-queries",
];

export interface GatePlan {
  config: GateConfig;
  readTargetHealth?: TargetHealthReader;
  onInconclusive: "fail" | "pass";
}

export interface PlanDeps {
  logger: Logger;
  http: HttpClient;
  clock: Clock;
  env: NodeJS.ProcessEnv;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function resolveAll(name: string, urls: readonly string[], baseUrl: string | undefined): string[] {
  return urls.map((url) => {
    try {
      return resolveUrl(url, baseUrl);
    } catch {
      throw inputError(
        name,
        `${JSON.stringify(url)} is a path and \`base-url\` is not set.`,
        "Set `base-url`, or give absolute URLs.",
      );
    }
  });
}

/** The timing and thresholds of the gate, from the inputs (their defaults are the runbooks'). */
export function gateSettings(inputs: Inputs): GateSettings {
  return {
    warmUpMs: inputs.warmUp,
    probeIntervalMs: inputs.probeInterval,
    // A probe never outlasts the interval, so the beat holds even when the service hangs.
    probeTimeoutMs: Math.min(inputs.probeTimeout, inputs.probeInterval),
    successThreshold: inputs.successThreshold,
    failureThreshold: inputs.failureThreshold,
    soakMs: inputs.soak,
    timeoutMs: inputs.timeout,
    errorRateThreshold: inputs.errorRateThreshold,
    latencyP95ThresholdSeconds: inputs.latencyP95Threshold / 1000,
    minRequests: inputs.minRequests,
  };
}

export function planGate(inputs: Inputs, deps: PlanDeps): GatePlan {
  const { logger } = deps;
  // Each value on its own, so a value is masked wherever it shows up, not only as its `NAME=value` line.
  const smokeSecrets = inputs.smokeSecrets ?? {};
  for (const value of Object.values(smokeSecrets)) logger.secrets.add(value);
  const prometheusHeaders = inputs.prometheusHeaders ?? {};
  for (const value of Object.values(prometheusHeaders)) logger.secrets.add(value);
  // A URL with credentials in it (https://user:password@...) shows up in error messages and the report.
  for (const url of [
    inputs.prometheusUrl,
    inputs.baseUrl,
    ...(inputs.healthUrls ?? []),
    ...(inputs.metricsUrls ?? []),
  ]) {
    if (url !== undefined && URL.canParse(url) && new URL(url).password) logger.secrets.addUrl(url);
  }

  const healthUrls = resolveAll("health-urls", inputs.healthUrls ?? [], inputs.baseUrl);
  const metricsUrls = resolveAll("metrics-urls", inputs.metricsUrls ?? [], inputs.baseUrl);
  const targetGroupArns = inputs.targetGroupArns ?? [];
  if ((inputs.prometheusUrl === undefined) !== (inputs.prometheusQueries === undefined)) {
    const missing = inputs.prometheusUrl === undefined ? "prometheus-url" : "prometheus-queries";
    throw inputError(
      missing,
      "Prometheus checks need both `prometheus-url` and `prometheus-queries`.",
      `Set \`${missing}\`.`,
    );
  }
  const anyCheck =
    healthUrls.length > 0 ||
    inputs.smokeTests !== undefined ||
    targetGroupArns.length > 0 ||
    inputs.loadBalancer !== undefined ||
    metricsUrls.length > 0 ||
    inputs.prometheusQueries !== undefined;
  if (!anyCheck) {
    throw inputError(
      "health-urls",
      "no check is configured, and a gate with nothing to look at can only be inconclusive.",
      `Give at least one of: ${CHECK_INPUTS.map((name) => `\`${name}\``).join(", ")}.`,
    );
  }

  const settings = gateSettings(inputs);
  if (settings.timeoutMs <= settings.warmUpMs + settings.soakMs) {
    throw inputError(
      "timeout",
      `${formatDuration(settings.timeoutMs)} leaves no time after the warm-up (${formatDuration(settings.warmUpMs)}) and the soak (${formatDuration(settings.soakMs)}).`,
      "Make `timeout` longer than `warm-up` plus `soak`, with room for the probes to settle.",
    );
  }

  // ---- probes and the served version ----
  const versionOptions = [
    inputs.versionJsonPath && "version-json-path",
    inputs.versionHeader && "version-header",
  ].filter((name): name is string => Boolean(name));
  if (inputs.expectedVersion !== undefined && versionOptions.length === 0) {
    throw inputError(
      "expected-version",
      "it is set, but nothing says where the service reports its version.",
      "Set `version-json-path` (e.g. `version`) or `version-header` (e.g. `x-service-version`).",
    );
  }
  if (versionOptions.length > 1) {
    throw inputError(
      "version-header",
      "both `version-json-path` and `version-header` are set.",
      "Keep one of them.",
    );
  }
  if (versionOptions.length > 0 && inputs.expectedVersion === undefined) {
    throw inputError(
      "expected-version",
      `\`${versionOptions[0]}\` is set but there is no version to expect.`,
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub expression, shown to the user.
      "Set `expected-version`, e.g. to `${{ github.sha }}`.",
    );
  }
  const needsProbes = [
    inputs.expectedVersion !== undefined && "expected-version",
    inputs.jsonAssertions !== undefined && Object.keys(inputs.jsonAssertions).length > 0 && "json-assertions",
  ].filter((name): name is string => Boolean(name));
  if (needsProbes.length > 0 && healthUrls.length === 0) {
    throw inputError(
      needsProbes[0] as string,
      "it is checked on the health probes, but `health-urls` is empty.",
      "Add `health-urls`, or remove the input.",
    );
  }
  let version: VersionCheck | undefined;
  if (inputs.expectedVersion !== undefined) {
    version = { expected: inputs.expectedVersion };
    if (inputs.versionHeader) version.header = inputs.versionHeader;
    if (inputs.versionJsonPath) {
      try {
        version.jsonPath = { path: inputs.versionJsonPath, segments: parseJsonPath(inputs.versionJsonPath) };
      } catch (error) {
        throw inputError(
          "version-json-path",
          `${message(error)}.`,
          "Write a path such as `version` or `build.commit`.",
        );
      }
    }
  }
  let expectedStatus: HealthProbe["expectedStatus"];
  try {
    expectedStatus = parseStatusMatcher(inputs.expectedStatus);
  } catch (error) {
    throw inputError(
      "expected-status",
      `${message(error)}.`,
      'Give codes such as "200" or classes such as "2xx".',
    );
  }
  const jsonAssertions = Object.entries(inputs.jsonAssertions ?? {}).map(([path, expected]) => {
    try {
      return jsonAssertion(path, expected);
    } catch (error) {
      throw inputError(
        "json-assertions",
        `${message(error)}.`,
        "Write one `path=value` per line, such as `status=ok`.",
      );
    }
  });
  const probes: HealthProbe[] = healthUrls.map((url) => {
    const probe: HealthProbe = { url, expectedStatus, jsonAssertions, timeoutMs: settings.probeTimeoutMs };
    if (version) probe.version = version;
    return probe;
  });

  // ---- smoke tests ----
  let smokeTests: SmokeTest[] = [];
  if (inputs.smokeTests !== undefined) {
    try {
      smokeTests = parseSmokeTests(inputs.smokeTests, new Set(Object.keys(smokeSecrets)));
    } catch (error) {
      if (!(error instanceof SmokeTestsError)) throw error;
      throw inputError(
        "smoke-tests",
        `${error.message}.`,
        "See the smoke test format in the health-gate README.",
      );
    }
    for (const test of smokeTests) {
      if (!/^https?:\/\//i.test(test.url) && !test.url.startsWith("$") && !inputs.baseUrl) {
        throw inputError(
          "smoke-tests",
          `test ${test.name} has the path ${JSON.stringify(test.url)} and \`base-url\` is not set.`,
          "Set `base-url`, or give the test an absolute URL.",
        );
      }
    }
  } else if (Object.keys(smokeSecrets).length > 0) {
    logger.warning("`smoke-secrets` is set but there are no `smoke-tests` to use it.");
  }

  // ---- metrics ----
  const metricSources: MetricSource[] = [];
  // Every reading of a round finishes within the probe interval, so a slow provider cannot stretch the
  // beat that "failure-threshold in a row" is counted on. AWS calls get a few seconds at least.
  const readingTimeoutMs = settings.probeIntervalMs;
  const aws = {
    ...awsSettingsFromInputs(inputs),
    requestTimeoutMs: Math.max(5_000, settings.probeIntervalMs),
  };
  if (metricsUrls.length > 0) {
    metricSources.push(
      endpointMetricsSource(
        {
          urls: metricsUrls,
          requestCounter: inputs.metricsRequestCounter,
          statusLabel: inputs.metricsStatusLabel,
          latencyHistogram: inputs.metricsLatencyHistogram,
          errorRateThreshold: settings.errorRateThreshold,
          latencyP95ThresholdSeconds: settings.latencyP95ThresholdSeconds,
          timeoutMs: readingTimeoutMs,
        },
        { http: deps.http, clock: deps.clock },
      ),
    );
  }
  if (inputs.prometheusUrl !== undefined && inputs.prometheusQueries !== undefined) {
    let queries: ReturnType<typeof parsePrometheusQueries>;
    try {
      queries = parsePrometheusQueries(inputs.prometheusQueries);
    } catch (error) {
      if (!(error instanceof PrometheusQueriesError)) throw error;
      throw inputError(
        "prometheus-queries",
        `${error.message}.`,
        "See the query format in the health-gate README.",
      );
    }
    metricSources.push(
      prometheusSource({
        url: inputs.prometheusUrl,
        headers: prometheusHeaders,
        timeoutMs: readingTimeoutMs,
        http: deps.http,
        queries,
      }),
    );
  }
  if (inputs.loadBalancer !== undefined) {
    let loadBalancer: string;
    try {
      loadBalancer = loadBalancerDimension(inputs.loadBalancer);
    } catch (error) {
      throw inputError(
        "load-balancer",
        `${message(error)}.`,
        "Give the ALB's ARN, or app/<name>/<id> as CloudWatch shows it.",
      );
    }
    const cloudwatch = createAwsClient(CloudWatchClient, aws, { env: deps.env, logger });
    const only = targetGroupArns.length === 1 ? targetGroupArns[0] : undefined;
    metricSources.push(
      albMetricsSource(
        {
          loadBalancer,
          ...(only ? { targetGroup: targetGroupDimension(only) } : {}),
          errorRateThreshold: settings.errorRateThreshold,
          latencyP95ThresholdSeconds: settings.latencyP95ThresholdSeconds,
        },
        { cloudwatch },
      ),
    );
  }
  const names = metricSources.flatMap((s) => s.definitions.map((d) => d.name));
  const reserved = [...healthUrls.map((url) => `probe ${url}`), "served version"];
  const clash = names.find((name, i) => names.indexOf(name) !== i || reserved.includes(name));
  if (clash) {
    throw inputError(
      "prometheus-queries",
      `two checks are named ${JSON.stringify(clash)}.`,
      "Give each query its own name.",
    );
  }
  if (metricSources.length > 0 && settings.soakMs < settings.probeIntervalMs) {
    throw inputError(
      "soak",
      `metrics need a soak window of at least one probe interval (${formatDuration(settings.probeIntervalMs)}); it is ${formatDuration(settings.soakMs)}.`,
      "Lengthen `soak` (a few minutes for CloudWatch, whose ALB metrics are per minute).",
    );
  }

  // ---- load balancer targets ----
  let readTargetHealth: TargetHealthReader | undefined;
  if (targetGroupArns.length > 0) {
    const elbv2 = createAwsClient(ElasticLoadBalancingV2Client, aws, { env: deps.env, logger });
    readTargetHealth = elbTargetHealthReader(elbv2, deps.clock);
  }
  if (targetGroupArns.length > 0 || inputs.loadBalancer !== undefined) {
    warnIfBeyondSessionLife(settings.timeoutMs, "timeout", logger);
  }

  const config: GateConfig = {
    settings,
    probes,
    smokeTests,
    smokeSecrets,
    targetGroupArns,
    metricSources,
  };
  if (inputs.expectedVersion !== undefined) config.expectedVersion = inputs.expectedVersion;
  if (inputs.baseUrl !== undefined) config.baseUrl = inputs.baseUrl;
  const plan: GatePlan = { config, onInconclusive: inputs.onInconclusive };
  if (readTargetHealth) plan.readTargetHealth = readTargetHealth;
  return plan;
}
