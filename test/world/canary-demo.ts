// `npm run demo -- --canary`: a bad release (30 % of its requests fail) deployed as a 5 % ECS canary
// through the ecs-deploy bundle, judged by shipline and stopped at the canary share. Real requests
// flow through the loopback load balancer, split by the listener weights the simulated ECS shifts, to
// one real HTTP server per revision (the stable one, and the bad one failing 30 %). The simulator's
// CloudWatch gives each revision the same error rate for the load balancer's metrics the judge reads.
import { mkdirSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join, relative } from "node:path";
import { deploy, image, TG, TG_GREEN, world } from "../integration/ecs-deploy/stack";
import { ROOT } from "../repo/layout";
import { startSimulator } from "../sim/index";
import { type LoadBalancer, startLoadBalancer } from "./load-balancer";

/** Simulated ms per real ms: the 10-minute canary bake would take 30 s. */
const FACTOR = 20;
const REQUESTS_PER_SECOND = 50;
/** The request rate the simulated load balancer metrics model (per simulated second). */
const SIMULATED_RPS = 200;

async function revisionServer(version: string, errorRate: number, random: () => number): Promise<Server> {
  const server = createServer((_req, res) => {
    if (random() < errorRate) res.writeHead(500).end(`${version}: internal error\n`);
    else res.writeHead(200, { "x-service-version": version }).end(`${version}: ok\n`);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return server;
}

/** A small deterministic generator, so the demo's split is the same run after run. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

export async function runCanaryDemo(print: (line: string) => void = console.log): Promise<number> {
  const started = Date.now();
  const line = (text: string) =>
    print(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s] ${text}`);
  const sim = await startSimulator({
    scenario: world({
      strategy: "CANARY",
      desiredCount: 2,
      factor: FACTOR,
      metrics: {
        loadBalancers: { "web-alb": { requestsPerSecond: SIMULATED_RPS } },
        images: { [image("2")]: { errorRate: 0.3 } },
      },
    }),
  });
  const random = seeded(7);
  const stable = await revisionServer("web:1", 0.001, random);
  const bad = await revisionServer("web:2", 0.3, random);
  const endpoint = (s: Server) => ({ host: "127.0.0.1", port: (s.address() as AddressInfo).port });
  const balancer: LoadBalancer = await startLoadBalancer({
    random,
    targets: () => {
      const weights = sim.elbv2.weights("web-alb");
      return [
        {
          endpoint: endpoint(stable),
          weight: (weights[TG] ?? 0) / 100,
          taskDefinitionArn: "task-definition/web:1",
        },
        {
          endpoint: endpoint(bad),
          weight: (weights[TG_GREEN] ?? 0) / 100,
          taskDefinitionArn: "task-definition/web:2",
        },
      ].filter((t) => t.weight > 0);
    },
  });
  let sending = true;
  const traffic = (async () => {
    while (sending) {
      await fetch(balancer.url).then(
        (r) => r.arrayBuffer(),
        () => undefined,
      );
      await new Promise((resolve) => setTimeout(resolve, 1000 / REQUESTS_PER_SECOND));
    }
  })();
  try {
    line("shipline demo: a 5 % canary of a bad release, judged by shipline (no AWS, no GitHub)");
    line(
      `AWS simulator at ${sim.endpoint} (1 s = ${FACTOR} simulated s); load balancer at ${balancer.url}, ${REQUESTS_PER_SECOND} requests/s`,
    );
    line("web runs web:1; deploying web:2 (fails 30 % of requests) with strategy canary, 5 %, bake 10 min");
    const run = await deploy(sim, {
      containers: `app=${image("2")}`,
      strategy: "canary",
      "canary-percent": "5",
      "canary-bake-minutes": "10",
      "poll-interval": "250ms",
    });
    const shown = run.stdout
      .split("\n")
      .filter((l) => !l.startsWith("::") && /step judge|stage PRODUCTION|ROLLBACK/.test(l));
    for (const text of shown) line(`  ${text.replace(/^::\w+::/, "").trim()}`);
    const report = JSON.parse(run.outputs.report ?? "{}") as {
      services?: {
        steps?: {
          stopped?: { weight: number; stage: string };
          exposure?: { served: number; failed: number; total: number; failedShare: number };
        };
      }[];
    };
    const steps = report.services?.[0]?.steps;
    await new Promise((resolve) => setTimeout(resolve, 500));
    sending = false;
    await traffic;
    const byRevision = balancer.byRevision();
    const counts = balancer.counts();
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    if (!steps?.stopped || !steps.exposure) {
      line(`the canary was not caught: the step ended with exit code ${run.exitCode}`);
      return 1;
    }
    line(
      `caught at ${steps.stopped.weight} % of production traffic (${steps.stopped.stage}); ECS rolled web:2 back`,
    );
    line(
      `exposure (the simulated ALB metrics, ${SIMULATED_RPS} requests per simulated second): web:2 served ${steps.exposure.served} of ${steps.exposure.total} requests and failed ${steps.exposure.failed}: ${(steps.exposure.failedShare * 100).toFixed(2)} % of all requests`,
    );
    line(
      `real requests through the demo's load balancer: ${total}, of which web:2 answered ${byRevision["web:2"] ?? 0}; by status ${JSON.stringify(counts)}`,
    );
    const dir = join(ROOT, "test-output", "demo-canary");
    mkdirSync(dir, { recursive: true });
    const file = join(dir, "ecs-deploy-summary.md");
    writeFileSync(file, run.summary);
    line(`the step summary, with the traffic chart and the verdict at each step: ${relative(ROOT, file)}`);
    return run.exitCode === 1 && steps.stopped.weight <= 5 ? 0 : 1;
  } finally {
    sending = false;
    await traffic;
    await balancer.stop();
    await new Promise<void>((resolve) => stable.close(() => resolve()));
    await new Promise<void>((resolve) => bad.close(() => resolve()));
    await sim.stop();
  }
}
