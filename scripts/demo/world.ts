// Everything the demo pipeline runs against, on this machine: the AWS simulator (scaled clock), a real
// PostgreSQL, a Docker engine and registry when this machine can run them (else images pre-seeded in
// the simulated ECR), the fake GitHub, the shop's git repository, one real process per running task,
// a loopback load balancer and steady traffic through it.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTraffic, type Traffic } from "../../test/fixtures/demo-service/traffic";
import { type FakeGitHub, startFakeGitHub } from "../../test/rig/fake-github";
import { installGraphQL } from "../../test/rig/fake-github-graphql";
import { type DockerEngine, dockerAvailable, startDockerEngine } from "../../test/rig/services/docker";
import { type PostgresServer, startPostgres } from "../../test/rig/services/postgres";
import { type LocalRegistry, registryAvailable, startRegistry } from "../../test/rig/services/registry";
import {
  type EcsSurface,
  type Scenario,
  type Simulator,
  simulatorEnv,
  startSimulator,
} from "../../test/sim/index";
import { type LoadBalancer, startLoadBalancer } from "./load-balancer";
import {
  buildShopRepo,
  DATABASE_URL_SECRET_ARN,
  imageEnvironmentAt,
  imageFilesAt,
  type ShopRepo,
} from "./shop-repo";
import { DemoTaskRuntime } from "./task-runtime";

/** Simulated milliseconds per real millisecond: a rollout of a simulated minute takes three seconds. */
export const CLOCK_FACTOR = 20;
export const CLUSTER = "shop";
export const SERVICE = "web";
export const REPOSITORY = "shop/web";
export const DB_INSTANCE = "shop-db";
export const ACCOUNT = "123456789012";
export const TARGET_GROUP_ARN = `arn:aws:elasticloadbalancing:eu-west-1:${ACCOUNT}:targetgroup/shop-web/5e1f0c2a9b7d3e41`;
export const BUSYBOX_BASE = "shipline-demo/busybox:1";
/** The token the fake GitHub accepts; treated as the secret it is in real runs. */
export const GITHUB_TOKEN = "ghs_shiplineDemoToken0123456789abcdefABCDEF";

export type Variant = "bad-release" | "crash-at-boot" | "broken-migration";

export interface World {
  variant: Variant;
  sim: Simulator;
  ecs: EcsSurface;
  postgres: PostgresServer;
  databaseUrl: string;
  github: FakeGitHub;
  shop: ShopRepo;
  runtime: DemoTaskRuntime;
  balancer: LoadBalancer;
  traffic: Traffic;
  /** How images are built: a real Docker engine, or pre-seeded in the simulated ECR. */
  images: { kind: "docker"; engine: DockerEngine; registry: LocalRegistry } | { kind: "seeded"; why: string };
  /** Environment every action step gets (the Docker engine's, when there is one). */
  actionEnv: Record<string, string>;
  /** The secrets of this world, none of which may appear in any log, summary or output. */
  secrets: string[];
  stop(): Promise<void>;
}

function dockerWhyNot(): string | undefined {
  if (!dockerAvailable()) return "no Docker engine can be started here (needs root and Debian's docker.io)";
  if (!registryAvailable()) return "no docker-registry binary (Debian's docker-registry)";
  if (!existsSync("/bin/busybox")) return "no static busybox for the base image (Debian's busybox-static)";
  return undefined;
}

/** The simulated AWS account: the shop's cluster, service, load balancer, database and registry. */
export function demoScenario(registry: LocalRegistry | undefined): Scenario {
  return {
    clock: { mode: "scaled", factor: CLOCK_FACTOR },
    seed: 11,
    logs: { groups: [{ name: "/ecs/shop-web" }] },
    rds: { instances: [{ id: DB_INSTANCE, snapshotMs: 20_000 }] },
    ecr: {
      ...(registry
        ? { registry: { url: registry.url, username: registry.username, password: registry.password } }
        : {}),
      repositories: [{ name: REPOSITORY, imageTagMutability: "MUTABLE" }],
    },
    elbv2: {
      targetGroups: [
        {
          name: "shop-web",
          arn: TARGET_GROUP_ARN,
          port: 8080,
          healthCheckPath: "/health",
          healthCheckIntervalSeconds: 5,
          healthyThresholdCount: 2,
          unhealthyThresholdCount: 2,
          deregistrationDelaySeconds: 10,
        },
      ],
      loadBalancers: [{ name: "shop-alb", targetGroups: ["shop-web"] }],
    },
    ecs: {
      clusters: [CLUSTER],
      // The service as Terraform created it, running a placeholder until the first deploy.
      taskDefinitions: [
        {
          family: "shop-web",
          networkMode: "awsvpc",
          requiresCompatibilities: ["FARGATE"],
          cpu: "256",
          memory: "512",
          containerDefinitions: [
            {
              name: "web",
              image: "public.ecr.aws/docker/library/busybox:stable",
              essential: true,
              portMappings: [{ containerPort: 8080, protocol: "tcp" }],
              environment: [{ name: "VERSION", value: "placeholder" }],
            },
          ],
        },
      ],
      services: [
        {
          cluster: CLUSTER,
          serviceName: SERVICE,
          taskDefinition: "shop-web:1",
          desiredCount: 2,
          launchType: "FARGATE",
          networkConfiguration: {
            awsvpcConfiguration: { subnets: ["subnet-0a1b", "subnet-0c2d"], securityGroups: ["sg-0web"] },
          },
          loadBalancers: [{ targetGroupArn: TARGET_GROUP_ARN, containerName: "web", containerPort: 8080 }],
          healthCheckGracePeriodSeconds: 60,
          deploymentConfiguration: {
            minimumHealthyPercent: 100,
            maximumPercent: 200,
            deploymentCircuitBreaker: { enable: true, rollback: true },
          },
        },
      ],
    },
  };
}

/** The image's config Env from the registry (the manifest, then its config blob). */
async function registryImageEnvironment(
  registry: LocalRegistry,
  image: string,
  digest: string | undefined,
): Promise<Record<string, string>> {
  if (!image.startsWith(`${registry.host}/`)) return {};
  const rest = image.slice(registry.host.length + 1);
  const repository = rest.replace(/[@:].*$/, "");
  const reference = digest ?? rest.slice(repository.length + 1);
  const authorization = `Basic ${Buffer.from(`${registry.username}:${registry.password}`).toString("base64")}`;
  const manifest = await fetch(`${registry.url}/v2/${repository}/manifests/${reference}`, {
    headers: {
      authorization,
      accept: [
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
      ].join(", "),
    },
  });
  if (!manifest.ok) return {};
  const configDigest = ((await manifest.json()) as { config?: { digest?: string } }).config?.digest;
  if (!configDigest) return {};
  const config = await fetch(`${registry.url}/v2/${repository}/blobs/${configDigest}`, {
    headers: { authorization },
  });
  if (!config.ok) return {};
  const env = ((await config.json()) as { config?: { Env?: string[] } }).config?.Env ?? [];
  return Object.fromEntries(
    env.map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
  );
}

export interface StartWorldOptions {
  variant: Variant;
  /** Where step summaries and logs go (made empty first). */
  outputDir: string;
  /** Use pre-seeded images even when Docker could run. */
  seededImages?: boolean;
  /** The shop runs its migrations as a one-off ECS task (see shop-repo.ts). */
  migrationTask?: boolean;
  log?(line: string): void;
}

export async function startWorld(options: StartWorldOptions): Promise<World> {
  const log = options.log ?? (() => undefined);
  rmSync(options.outputDir, { recursive: true, force: true });
  mkdirSync(options.outputDir, { recursive: true });
  const stops: (() => Promise<void>)[] = [];
  let stopping: Promise<void> | undefined;
  // Once, in the reverse order of starting, however many times it is asked for (Ctrl-C and finally).
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      for (const fn of stops.reverse()) {
        try {
          await fn();
        } catch (error) {
          console.warn(`demo: could not stop a service: ${String(error)}`);
        }
      }
    })();
    return stopping;
  };
  try {
    const why = options.seededImages ? "asked for pre-seeded images" : dockerWhyNot();
    const [postgres, github, docker] = await Promise.all([
      startPostgres({ prefer: "embedded" }),
      startFakeGitHub({ owner: "acme", repo: "shop" }),
      why
        ? Promise.resolve(undefined)
        : Promise.all([startDockerEngine(), startRegistry()]).then(([engine, registry]) => ({
            engine,
            registry,
          })),
    ]);
    stops.push(
      () => postgres.stop(),
      () => github.close(),
    );
    if (docker)
      stops.push(
        () => docker.engine.stop(),
        () => docker.registry.stop(),
      );
    log(
      `PostgreSQL (${postgres.kind}) on port ${postgres.port}; ` +
        (docker
          ? `Docker engine (private dockerd) and registry ${docker.registry.host}`
          : `no Docker: ${why}`),
    );
    const databaseUrl = await postgres.createDatabase("shop");
    const shop = buildShopRepo(options.variant, { migrationTask: options.migrationTask ?? false });
    stops.push(async () => shop.repo.remove());
    // The images' files, for the one-off tasks that run them: from the commit each image was built
    // from (its VERSION), as its Dockerfile copies them.
    const imagesDir = mkdtempSync(join(tmpdir(), "shipline-demo-images-"));
    stops.push(async () => rmSync(imagesDir, { recursive: true, force: true }));
    const imageRoots = new Map<string, string>();
    installGraphQL(github, {
      repoDir: shop.repo.dir,
      pullRequests: shop.repo.pullRequests,
      people: shop.repo.people,
    });
    if (docker) docker.engine.importBusyboxBase(BUSYBOX_BASE);

    const sim = await startSimulator();
    stops.push(() => sim.stop());
    const ecs = sim.ecs;
    const ecr = sim.ecr;
    const seededEnv = new Map<string, Record<string, string>>();
    const runtime = new DemoTaskRuntime({
      imageEnvironment: async (image, digest) => {
        if (docker) return registryImageEnvironment(docker.registry, image, digest);
        return (digest && seededEnv.get(digest)) || {};
      },
      imageFiles: async (_image, _digest, env) => {
        const sha = env.VERSION ?? "";
        if (!shop.releases.some((r) => r.sha === sha)) return undefined;
        let root = imageRoots.get(sha);
        if (!root) {
          root = join(imagesDir, sha);
          imageFilesAt(shop, sha, root);
          imageRoots.set(sha, root);
        }
        return root;
      },
      // Secrets Manager, as the task's execution role would read it.
      secretValue: (valueFrom) => (valueFrom === DATABASE_URL_SECRET_ARN ? databaseUrl : undefined),
    });
    await ecs.setTaskRuntime(runtime);
    sim.load(demoScenario(docker?.registry));
    if (!docker) {
      // What CI would have pushed for each commit: the image built from the commit's Dockerfile.
      for (const release of shop.releases) {
        const digest = ecr.seedImage(REPOSITORY, { tags: [release.sha] });
        seededEnv.set(digest, imageEnvironmentAt(shop, release.sha));
      }
    }
    const balancer = await startLoadBalancer({ targets: () => ecs.servingEndpoints(SERVICE, CLUSTER) });
    stops.push(() => balancer.stop());
    // Wait for the placeholder tasks to serve, then send steady traffic, as users would.
    const until = Date.now() + 30_000;
    while (ecs.servingEndpoints(SERVICE, CLUSTER).length < 2) {
      if (Date.now() > until) throw new Error("the service's first tasks did not start");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const traffic = startTraffic({
      urls: [balancer.url],
      ratePerSecond: 20,
      maxDurationMs: 15 * 60_000,
      maxRequests: 30_000,
    });
    stops.push(async () => {
      await traffic.stop();
    });
    const actionEnv = docker ? docker.engine.env() : {};
    const aws = simulatorEnv(sim);
    return {
      variant: options.variant,
      sim,
      ecs,
      postgres,
      databaseUrl,
      github,
      shop,
      runtime,
      balancer,
      traffic,
      images: docker ? { kind: "docker", ...docker } : { kind: "seeded", why: why ?? "" },
      actionEnv,
      secrets: [
        postgres.password,
        encodeURIComponent(postgres.password),
        databaseUrl,
        GITHUB_TOKEN,
        aws.AWS_SECRET_ACCESS_KEY as string,
        ...(docker ? [docker.registry.password] : []),
      ],
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

export function outputDirFor(root: string, variant: Variant): string {
  return join(root, "test-output", variant === "bad-release" ? "demo" : `demo-${variant}`);
}
