// Everything the demo and the end-to-end tests run the pipeline against, on this machine: the AWS
// simulator (scaled clock) holding the shop's account, a real PostgreSQL, a Docker engine and registry
// when this machine can run them (else images pre-seeded in the simulated ECR), the fake GitHub, the
// shop's git repository, one real process per running task, a loopback load balancer and steady
// traffic through it.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTraffic, type Traffic } from "../fixtures/demo-service/traffic";
import { type FakeGitHub, startFakeGitHub } from "../rig/fake-github";
import { installGraphQL } from "../rig/fake-github-graphql";
import { type DockerEngine, startDockerEngine } from "../rig/services/docker";
import { type PostgresServer, startPostgres } from "../rig/services/postgres";
import { type LocalRegistry, startRegistry } from "../rig/services/registry";
import { type Simulator, simulatorEnv, startSimulator } from "../sim/index";
import { ShopAccount, shopScenario } from "./account";
import { BUSYBOX_BASE, dockerWhyNot, registryImageEnvironment } from "./images";
import { type LoadBalancer, startLoadBalancer } from "./load-balancer";
import {
  buildShopRepo,
  DATABASE_URL_SECRET_ARN,
  imageEnvironmentAt,
  imageFilesAt,
  SHOP_EXECUTION_ROLE_ARN,
  type ShopRepo,
  type Variant,
} from "./shop-repo";
import { DemoTaskRuntime } from "./task-runtime";

export type { Variant } from "./shop-repo";

/** The token the fake GitHub accepts; treated as the secret it is in real runs. */
export const GITHUB_TOKEN = "ghs_shiplineDemoToken0123456789abcdefABCDEF";

export interface World {
  variant: Variant;
  sim: Simulator;
  /** The shop's account in the simulator, as the tests read it. */
  aws: ShopAccount;
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
  /** Stops every process and service the world started, once, however often it is called. */
  stop(): Promise<void>;
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

/** Stop functions run once, in the reverse order of starting (Ctrl-C and a finally may both ask). */
class Stops {
  readonly #fns: (() => Promise<void> | void)[] = [];
  #stopping: Promise<void> | undefined;

  push(...fns: (() => Promise<void> | void)[]): void {
    this.#fns.push(...fns);
  }

  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      for (const fn of this.#fns.reverse()) {
        try {
          await fn();
        } catch (error) {
          console.warn(`world: could not stop a service: ${String(error)}`);
        }
      }
    })();
    return this.#stopping;
  }
}

type Docker = { engine: DockerEngine; registry: LocalRegistry } | undefined;

/** PostgreSQL, the fake GitHub and (where it can run) Docker with a registry, started side by side. */
async function startServices(stops: Stops, why: string | undefined) {
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
  // Independent of each other, so they stop side by side (dockerd alone takes about a second).
  stops.push(async () => {
    const stopped = await Promise.allSettled([
      postgres.stop(),
      github.close(),
      ...(docker ? [docker.engine.stop(), docker.registry.stop()] : []),
    ]);
    const failed = stopped.find((s) => s.status === "rejected");
    if (failed) throw failed.reason;
  });
  return { postgres, github, docker: docker as Docker };
}

/** One real process per task, with its image's environment and files and the account's secrets. */
function taskRuntime(stops: Stops, shop: ShopRepo, docker: Docker) {
  // The images' files, for the one-off tasks that run them: from the commit each image was built
  // from (its VERSION), as its Dockerfile copies them.
  const imagesDir = mkdtempSync(join(tmpdir(), "shipline-world-images-"));
  stops.push(() => rmSync(imagesDir, { recursive: true, force: true }));
  const imageRoots = new Map<string, string>();
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
  });
  return { runtime, seededEnv };
}

/** DATABASE_URL in Secrets Manager, readable by the task's execution role (and no other secret). */
function seedDatabaseSecret(sim: Simulator, databaseUrl: string): void {
  const name = DATABASE_URL_SECRET_ARN.split(":secret:")[1] ?? "";
  sim.secretsmanager.put(name.slice(0, -7), databaseUrl, { arnSuffix: name.slice(-6) });
  sim.iam.allow(SHOP_EXECUTION_ROLE_ARN, {
    actions: ["secretsmanager:GetSecretValue"],
    resources: [DATABASE_URL_SECRET_ARN],
  });
}

/** Waits for the placeholder tasks to serve (real processes; the simulator's clock runs meanwhile). */
async function placeholdersServing(aws: ShopAccount): Promise<void> {
  const until = Date.now() + 30_000;
  while (aws.servingTargets().length < 2) {
    if (Date.now() > until) throw new Error("the service's first tasks did not start");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export async function startWorld(options: StartWorldOptions): Promise<World> {
  const log = options.log ?? (() => undefined);
  rmSync(options.outputDir, { recursive: true, force: true });
  mkdirSync(options.outputDir, { recursive: true });
  const stops = new Stops();
  const why = options.seededImages ? "asked for pre-seeded images" : dockerWhyNot();
  // The services start in processes of their own while the shop's repository is built here.
  const starting = startServices(stops, why);
  try {
    const shop = buildShopRepo(options.variant, { migrationTask: options.migrationTask ?? false });
    stops.push(() => shop.repo.remove());
    const { postgres, github, docker } = await starting;
    log(
      `PostgreSQL (${postgres.kind}) on port ${postgres.port}; ` +
        (docker
          ? `Docker engine (private dockerd) and registry ${docker.registry.host}`
          : `no Docker: ${why}`),
    );
    const databaseUrl = await postgres.createDatabase("shop");
    installGraphQL(github, {
      repoDir: shop.repo.dir,
      pullRequests: shop.repo.pullRequests,
      people: shop.repo.people,
    });
    if (docker) docker.engine.importBusyboxBase(BUSYBOX_BASE);

    const { runtime, seededEnv } = taskRuntime(stops, shop, docker);
    const sim = await startSimulator();
    stops.push(() => sim.stop());
    const aws = new ShopAccount(sim);
    await aws.setTaskRuntime(runtime);
    sim.load(shopScenario(docker?.registry));
    seedDatabaseSecret(sim, databaseUrl);
    if (!docker) {
      // What CI would have pushed for each commit: the image built from the commit's Dockerfile.
      for (const release of shop.releases)
        seededEnv.set(aws.seedImage(release.sha), imageEnvironmentAt(shop, release.sha));
    }
    const balancer = await startLoadBalancer({ targets: () => aws.servingTargets() });
    stops.push(() => balancer.stop());
    // Steady traffic once the placeholder tasks serve, as users would send it.
    await placeholdersServing(aws);
    const traffic = startTraffic({
      urls: [balancer.url],
      ratePerSecond: 20,
      maxDurationMs: 15 * 60_000,
      maxRequests: 30_000,
    });
    stops.push(async () => {
      await traffic.stop();
    });
    return {
      variant: options.variant,
      sim,
      aws,
      postgres,
      databaseUrl,
      github,
      shop,
      runtime,
      balancer,
      traffic,
      images: docker ? { kind: "docker", ...docker } : { kind: "seeded", why: why ?? "" },
      actionEnv: docker ? docker.engine.env() : {},
      secrets: [
        postgres.password,
        encodeURIComponent(postgres.password),
        databaseUrl,
        GITHUB_TOKEN,
        simulatorEnv(sim).AWS_SECRET_ACCESS_KEY as string,
        ...(docker ? [docker.registry.password] : []),
      ],
      stop: () => stops.stop(),
    };
  } catch (error) {
    // Whatever started must be stopped, so wait for the services to be up (or to fail) first.
    await starting.catch(() => undefined);
    await stops.stop();
    throw error;
  }
}

/** Where a story of this variant leaves its files when the demo tells it. */
export function outputDirFor(root: string, variant: Variant): string {
  return join(root, "test-output", variant === "bad-release" ? "demo" : `demo-${variant}`);
}
