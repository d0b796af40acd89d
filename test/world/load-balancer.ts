// A loopback port that plays the Application Load Balancer in front of the simulated ECS service:
// every request goes to one of the tasks serving now (the simulator's healthy targets, weighted as the
// listener forwards), and the balancer measures what it forwarded the way an ALB does (requests by
// status, response time), exposed in Prometheus format under /__lb/metrics for the health gate.
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";

export interface Target {
  endpoint: { host: string; port: number };
  weight: number;
  taskDefinitionArn: string;
}

export interface LoadBalancer {
  url: string;
  metricsUrl: string;
  /** Requests answered so far, by status code ("502" when a target did not answer). */
  counts(): Record<string, number>;
  /** Requests answered by each task definition revision so far. */
  byRevision(): Record<string, number>;
  stop(): Promise<void>;
}

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const METRICS_PATH = "/__lb/metrics";

function pick(targets: Target[], random: () => number): Target | undefined {
  let roll = random();
  for (const target of targets) {
    roll -= target.weight;
    if (roll <= 0) return target;
  }
  return targets.at(-1);
}

export async function startLoadBalancer(options: {
  targets: () => Target[];
  random?: () => number;
}): Promise<LoadBalancer> {
  const random = options.random ?? Math.random;
  const counts = new Map<string, number>();
  const revisions = new Map<string, number>();
  const buckets = BUCKETS.map(() => 0);
  let sum = 0;
  let total = 0;

  const record = (status: number, seconds: number, revision: string | undefined): void => {
    counts.set(String(status), (counts.get(String(status)) ?? 0) + 1);
    if (revision) revisions.set(revision, (revisions.get(revision) ?? 0) + 1);
    for (const [i, le] of BUCKETS.entries()) if (seconds <= le) buckets[i] = (buckets[i] ?? 0) + 1;
    sum += seconds;
    total += 1;
  };

  const exposition = (): string => {
    const lines = [
      "# HELP http_requests_total Requests the load balancer forwarded, by the status returned.",
      "# TYPE http_requests_total counter",
      ...[...counts].map(([code, n]) => `http_requests_total{code="${code}"} ${n}`),
      "# HELP http_request_duration_seconds Time from the request to the target's answer.",
      "# TYPE http_request_duration_seconds histogram",
      ...BUCKETS.map((le, i) => `http_request_duration_seconds_bucket{le="${le}"} ${buckets[i]}`),
      `http_request_duration_seconds_bucket{le="+Inf"} ${total}`,
      `http_request_duration_seconds_sum ${sum}`,
      `http_request_duration_seconds_count ${total}`,
      "",
    ];
    return lines.join("\n");
  };

  const forward = (req: IncomingMessage, res: ServerResponse, body: Buffer): void => {
    const started = performance.now();
    const elapsed = () => (performance.now() - started) / 1000;
    const target = pick(options.targets(), random);
    if (!target) {
      // An ALB with no healthy target answers 503 itself.
      record(503, elapsed(), undefined);
      res.writeHead(503, { "content-type": "text/plain" }).end("503 Service Temporarily Unavailable\n");
      return;
    }
    const revision = target.taskDefinitionArn.split("/").at(-1);
    const upstream = httpRequest(
      {
        host: target.endpoint.host,
        port: target.endpoint.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, "x-forwarded-for": req.socket.remoteAddress ?? "" },
        timeout: 30_000,
      },
      (answer) => {
        const chunks: Buffer[] = [];
        answer.on("data", (chunk: Buffer) => chunks.push(chunk));
        answer.on("end", () => {
          const status = answer.statusCode ?? 502;
          record(status, elapsed(), revision);
          res.writeHead(status, answer.headers).end(Buffer.concat(chunks));
        });
        answer.on("error", () => {
          record(502, elapsed(), revision);
          if (!res.headersSent) res.writeHead(502).end("502 Bad Gateway\n");
        });
      },
    );
    upstream.on("timeout", () => upstream.destroy(new Error("target timed out")));
    upstream.on("error", () => {
      // The task went away between the pick and the answer: the ALB's 502.
      record(502, elapsed(), revision);
      if (!res.headersSent) res.writeHead(502, { "content-type": "text/plain" }).end("502 Bad Gateway\n");
    });
    upstream.end(body);
  };

  const server: Server = createServer((req, res) => {
    if (req.url === METRICS_PATH) {
      res.writeHead(200, { "content-type": "text/plain; version=0.0.4" }).end(exposition());
      return;
    }
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => forward(req, res, Buffer.concat(chunks)));
  });
  server.keepAliveTimeout = 1_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    metricsUrl: `${url}${METRICS_PATH}`,
    counts: () => Object.fromEntries(counts),
    byRevision: () => Object.fromEntries(revisions),
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
