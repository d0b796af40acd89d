// health-gate's inputs → settings: every rule between inputs checked before the first request, every
// secret registered before anything can print it, and the gate's checks built from them (clients are
// created here too, so a missing region is refused before the first probe; nothing is sent yet).
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import {
  type AwsSettings,
  awsSettingsFromInputs,
  createAwsClient,
  warnIfBeyondSessionLife,
} from "@shipline/core/aws/clients";
import {
  albMetricsSource,
  loadBalancerDimension,
  targetGroupDimension,
} from "@shipline/core/health/cloudwatch";
import { type GateConfig, VERSION_CHECK } from "@shipline/core/health/gate";
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
import { errorMessage } from "@shipline/core/runtime/errors";
import { formatDuration } from "@shipline/core/runtime/format";
import { inputError } from "@shipline/core/runtime/inputs";
import type { Logger } from "@shipline/core/runtime/logger";
import { checkInputs, type Inputs } from "./inputs";
import { type WatchSettings, watchSettingsFrom } from "./watch-settings";

export interface Settings {
  /** What the gate watches and how: probes, smoke tests, target groups, metric sources, timing. */
  gate: GateConfig;
  /** Reads the target groups' health from ELBv2; set when target groups are given. */
  readTargetHealth?: TargetHealthReader;
  onInconclusive: "fail" | "pass";
  /** The watch after the gate (`watch`, or `skip-gate` for the watch alone). */
  watch?: WatchSettings;
}

/** The collaborators the checks are built with. */
export interface SettingsDeps {
  logger: Logger;
  http: HttpClient;
  clock: Clock;
  env: NodeJS.ProcessEnv;
}

/** The URL inputs, resolved on `base-url` and checked. */
interface Urls {
  health: string[];
  metrics: string[];
}

export function settingsFrom(inputs: Inputs, deps: SettingsDeps): Settings {
  registerSecrets(inputs, deps.logger);
  const urls: Urls = {
    health: resolveAll("health-urls", inputs.healthUrls ?? [], inputs.baseUrl),
    metrics: resolveAll("metrics-urls", inputs.metricsUrls ?? [], inputs.baseUrl),
  };
  checkInputs(inputs);
  const timing = checkedTiming(inputs);
  const probes = probesFrom(inputs, urls.health, versionCheckFrom(inputs, urls.health), timing);
  const smokeTests = smokeTestsFrom(inputs, deps.logger);
  const aws = awsFor(inputs, timing);
  const metricSources = metricSourcesFrom(inputs, urls.metrics, timing, aws, deps);
  checkMetricNames(metricSources, urls.health);
  checkSoakForMetrics(metricSources, timing);
  const targetGroupArns = inputs.targetGroupArns ?? [];
  const readTargetHealth = targetGroupArns.length > 0 ? targetHealthReader(aws, deps) : undefined;
  if (targetGroupArns.length > 0 || inputs.loadBalancer !== undefined) {
    warnIfBeyondSessionLife(timing.timeoutMs, "timeout", deps.logger);
  }

  const gate: GateConfig = {
    settings: timing,
    probes,
    smokeTests,
    smokeSecrets: inputs.smokeSecrets ?? {},
    targetGroupArns,
    metricSources,
  };
  if (inputs.expectedVersion !== undefined) gate.expectedVersion = inputs.expectedVersion;
  if (inputs.baseUrl !== undefined) gate.baseUrl = inputs.baseUrl;
  const settings: Settings = { gate, onInconclusive: inputs.onInconclusive };
  if (readTargetHealth) settings.readTargetHealth = readTargetHealth;
  const watch = watchSettingsFrom(inputs, settings, aws, deps);
  if (watch) settings.watch = watch;
  return settings;
}

/** Each value on its own, so it is masked wherever it shows up, not only as its `NAME=value` line. */
function registerSecrets(inputs: Inputs, logger: Logger): void {
  for (const value of Object.values(inputs.smokeSecrets ?? {})) logger.secrets.add(value);
  for (const value of Object.values(inputs.prometheusHeaders ?? {})) logger.secrets.add(value);
  // A URL with credentials in it (https://user:password@...) shows up in error messages and the report.
  for (const url of [
    inputs.prometheusUrl,
    inputs.baseUrl,
    ...(inputs.healthUrls ?? []),
    ...(inputs.metricsUrls ?? []),
  ]) {
    if (url !== undefined && URL.canParse(url) && new URL(url).password) logger.secrets.addUrl(url);
  }
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

const DEFAULT_PROBE_TIMEOUT_MS = 2_000;

/** The timing and thresholds of the gate, from the inputs (their defaults are the runbooks'). */
export function gateSettings(inputs: Inputs): GateSettings {
  return {
    warmUpMs: inputs.warmUp,
    probeIntervalMs: inputs.probeInterval,
    // A probe never outlasts the interval, so the beat holds even when the service hangs.
    probeTimeoutMs: inputs.probeTimeout ?? Math.min(DEFAULT_PROBE_TIMEOUT_MS, inputs.probeInterval),
    successThreshold: inputs.successThreshold,
    failureThreshold: inputs.failureThreshold,
    soakMs: inputs.soak,
    timeoutMs: inputs.timeout,
    errorRateThreshold: inputs.errorRateThreshold,
    latencyP95ThresholdSeconds: inputs.latencyP95Threshold / 1000,
    minRequests: inputs.minRequests,
  };
}

function checkedTiming(inputs: Inputs): GateSettings {
  const timing = gateSettings(inputs);
  // A probe that may wait longer than the interval overlaps the next round of probes.
  if (inputs.probeTimeout !== undefined && inputs.probeTimeout > inputs.probeInterval) {
    throw inputError(
      "probe-timeout",
      `${formatDuration(inputs.probeTimeout)} is longer than \`probe-interval\` (${formatDuration(inputs.probeInterval)}).`,
      "Make `probe-timeout` at most `probe-interval`, or probe less often.",
    );
  }
  if (timing.timeoutMs <= timing.warmUpMs + timing.soakMs) {
    throw inputError(
      "timeout",
      `${formatDuration(timing.timeoutMs)} leaves no time after the warm-up (${formatDuration(timing.warmUpMs)}) and the soak (${formatDuration(timing.soakMs)}).`,
      "Make `timeout` longer than `warm-up` plus `soak`, with room for the probes to settle.",
    );
  }
  return timing;
}

/** The served-version check: a version to expect, and one place (header or JSON path) to read it. */
function versionCheckFrom(inputs: Inputs, healthUrls: readonly string[]): VersionCheck | undefined {
  const places = [
    inputs.versionJsonPath && "version-json-path",
    inputs.versionHeader && "version-header",
  ].filter((name): name is string => Boolean(name));
  if (inputs.expectedVersion !== undefined && places.length === 0) {
    throw inputError(
      "expected-version",
      "it is set, but nothing says where the service reports its version.",
      "Set `version-json-path` (e.g. `version`) or `version-header` (e.g. `x-service-version`).",
    );
  }
  if (places.length > 1) {
    throw inputError(
      "version-header",
      "both `version-json-path` and `version-header` are set.",
      "Keep one of them.",
    );
  }
  if (places.length > 0 && inputs.expectedVersion === undefined) {
    throw inputError(
      "expected-version",
      `\`${places[0]}\` is set but there is no version to expect.`,
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub expression, shown to the user.
      "Set `expected-version`, e.g. to `${{ github.sha }}`.",
    );
  }
  requireProbesFor(inputs, healthUrls);
  if (inputs.expectedVersion === undefined) return undefined;
  const version: VersionCheck = { expected: inputs.expectedVersion };
  if (inputs.versionHeader) version.header = inputs.versionHeader;
  if (inputs.versionJsonPath) {
    try {
      version.jsonPath = { path: inputs.versionJsonPath, segments: parseJsonPath(inputs.versionJsonPath) };
    } catch (error) {
      throw inputError(
        "version-json-path",
        `${errorMessage(error)}.`,
        "Write a path such as `version` or `build.commit`.",
      );
    }
  }
  return version;
}

/** The version and the JSON assertions are read from the probes' answers: they need probes. */
function requireProbesFor(inputs: Inputs, healthUrls: readonly string[]): void {
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
}

function probesFrom(
  inputs: Inputs,
  healthUrls: readonly string[],
  version: VersionCheck | undefined,
  timing: GateSettings,
): HealthProbe[] {
  let expectedStatus: HealthProbe["expectedStatus"];
  try {
    expectedStatus = parseStatusMatcher(inputs.expectedStatus);
  } catch (error) {
    throw inputError(
      "expected-status",
      `${errorMessage(error)}.`,
      'Give codes such as "200" or classes such as "2xx".',
    );
  }
  const jsonAssertions = Object.entries(inputs.jsonAssertions ?? {}).map(([path, expected]) => {
    try {
      return jsonAssertion(path, expected);
    } catch (error) {
      throw inputError(
        "json-assertions",
        `${errorMessage(error)}.`,
        "Write one `path=value` per line, such as `status=ok`.",
      );
    }
  });
  return healthUrls.map((url) => {
    const probe: HealthProbe = { url, expectedStatus, jsonAssertions, timeoutMs: timing.probeTimeoutMs };
    if (version) probe.version = version;
    return probe;
  });
}

function smokeTestsFrom(inputs: Inputs, logger: Logger): SmokeTest[] {
  const secretNames = Object.keys(inputs.smokeSecrets ?? {});
  if (inputs.smokeTests === undefined) {
    if (secretNames.length > 0)
      logger.warning("`smoke-secrets` is set but there are no `smoke-tests` to use it.");
    return [];
  }
  let smokeTests: SmokeTest[];
  try {
    smokeTests = parseSmokeTests(inputs.smokeTests, new Set(secretNames));
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
  return smokeTests;
}

/** AWS calls get the probe interval, and a few seconds at least. */
function awsFor(inputs: Inputs, timing: GateSettings): AwsSettings {
  return { ...awsSettingsFromInputs(inputs), requestTimeoutMs: Math.max(5_000, timing.probeIntervalMs) };
}

function metricSourcesFrom(
  inputs: Inputs,
  metricsUrls: readonly string[],
  timing: GateSettings,
  aws: AwsSettings,
  deps: SettingsDeps,
): MetricSource[] {
  // Every reading of a round finishes within the probe interval, so a slow provider cannot stretch the
  // beat that "failure-threshold in a row" is counted on.
  const readingTimeoutMs = timing.probeIntervalMs;
  const sources: MetricSource[] = [];
  if (metricsUrls.length > 0) {
    sources.push(
      endpointMetricsSource(
        {
          urls: [...metricsUrls],
          requestCounter: inputs.metricsRequestCounter,
          statusLabel: inputs.metricsStatusLabel,
          latencyHistogram: inputs.metricsLatencyHistogram,
          errorRateThreshold: timing.errorRateThreshold,
          latencyP95ThresholdSeconds: timing.latencyP95ThresholdSeconds,
          timeoutMs: readingTimeoutMs,
        },
        { http: deps.http, clock: deps.clock },
      ),
    );
  }
  const prometheus = prometheusSourceFrom(inputs, readingTimeoutMs, deps.http);
  if (prometheus) sources.push(prometheus);
  const cloudwatch = cloudWatchSourceFrom(inputs, timing, aws, deps);
  if (cloudwatch) sources.push(cloudwatch);
  return sources;
}

function prometheusSourceFrom(inputs: Inputs, timeoutMs: number, http: HttpClient): MetricSource | undefined {
  if (inputs.prometheusUrl === undefined || inputs.prometheusQueries === undefined) return undefined;
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
  return prometheusSource({
    url: inputs.prometheusUrl,
    headers: inputs.prometheusHeaders ?? {},
    timeoutMs,
    http,
    queries,
  });
}

/** The ALB's CloudWatch metrics, scoped to the target group when exactly one is given. */
function cloudWatchSourceFrom(
  inputs: Inputs,
  timing: GateSettings,
  aws: AwsSettings,
  deps: SettingsDeps,
): MetricSource | undefined {
  if (inputs.loadBalancer === undefined) return undefined;
  let loadBalancer: string;
  try {
    loadBalancer = loadBalancerDimension(inputs.loadBalancer);
  } catch (error) {
    throw inputError(
      "load-balancer",
      `${errorMessage(error)}.`,
      "Give the ALB's ARN, or app/<name>/<id> as CloudWatch shows it.",
    );
  }
  const cloudwatch = createAwsClient(CloudWatchClient, aws, { env: deps.env, logger: deps.logger });
  const targetGroupArns = inputs.targetGroupArns ?? [];
  const only = targetGroupArns.length === 1 ? targetGroupArns[0] : undefined;
  return albMetricsSource(
    {
      loadBalancer,
      ...(only ? { targetGroup: targetGroupDimension(only) } : {}),
      errorRateThreshold: timing.errorRateThreshold,
      latencyP95ThresholdSeconds: timing.latencyP95ThresholdSeconds,
    },
    { cloudwatch },
  );
}

/** Every check has its own name in the report: a query may not take a metric's or a probe's. */
function checkMetricNames(sources: readonly MetricSource[], healthUrls: readonly string[]): void {
  const names = sources.flatMap((s) => s.definitions.map((d) => d.name));
  const reserved = [...healthUrls.map((url) => `probe ${url}`), VERSION_CHECK];
  const clash = names.find((name, i) => names.indexOf(name) !== i || reserved.includes(name));
  if (clash) {
    throw inputError(
      "prometheus-queries",
      `two checks are named ${JSON.stringify(clash)}.`,
      "Give each query its own name.",
    );
  }
}

function checkSoakForMetrics(sources: readonly MetricSource[], timing: GateSettings): void {
  if (sources.length > 0 && timing.soakMs < timing.probeIntervalMs) {
    throw inputError(
      "soak",
      `metrics need a soak window of at least one probe interval (${formatDuration(timing.probeIntervalMs)}); it is ${formatDuration(timing.soakMs)}.`,
      "Lengthen `soak` (a few minutes for CloudWatch, whose ALB metrics are per minute).",
    );
  }
}

function targetHealthReader(aws: AwsSettings, deps: SettingsDeps): TargetHealthReader {
  const elbv2 = createAwsClient(ElasticLoadBalancingV2Client, aws, { env: deps.env, logger: deps.logger });
  return elbTargetHealthReader(elbv2, deps.clock, "target-group-arns");
}
