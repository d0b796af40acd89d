// The AWS control-plane simulator: a loopback HTTP server that the real SDK v3 clients talk to through
// an endpoint override. It routes each request to a simulated service by its SigV4 signing name or
// X-Amz-Target, keeps simulated time, injects faults, and logs every call.
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type ClockSettings, Scheduler, SimClock, seededRandom } from "./clock";
import { SimError } from "./errors";
import type { Shape, SimRuntime, SimService, SimServiceFactory } from "./types";
import { decodeQuery, queryErrorXml, queryResponseXml, toJsonValue } from "./wire";

export interface FaultRule {
  /** Service name ("ecs") or any when omitted. */
  service?: string;
  /** Operation name ("UpdateService") or any when omitted. */
  operation?: string;
  /**
   * drop: the connection is destroyed before the call is handled; drop-response: the call is handled
   * (its effects happen) and then the connection is destroyed, as when an answer is lost on the way back.
   */
  kind: "throttle" | "server-error" | "access-denied" | "drop" | "drop-response" | "latency";
  /** Probability per matching call (default 1). */
  rate?: number;
  /** Fire at most this many times (default unlimited). */
  count?: number;
  /** For latency: real milliseconds added before the call is handled. */
  latencyMs?: number;
}

export interface CallRecord {
  seq: number;
  /** Simulated time of the call, epoch ms. */
  at: number;
  service: string;
  operation: string;
  /** The IAM action the call needs, e.g. "ecs:UpdateService". */
  iamAction: string;
  input: Shape;
  status: number;
  /** Error code returned, if any (including injected faults). */
  error?: string;
  /** The injected fault, if one fired. */
  fault?: FaultRule["kind"];
}

export interface ScenarioClock {
  mode?: "scaled" | "manual";
  factor?: number;
  /** ISO time or epoch ms. */
  start?: string | number;
}

export interface Scenario {
  clock?: ScenarioClock;
  seed?: number;
  faults?: FaultRule[];
  /** Each service's own section, keyed by service name. */
  [service: string]: unknown;
}

export interface SimulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  region?: string;
  accountId?: string;
  clock?: ClockSettings;
  seed?: number;
  /** The services to run; default: every built-in service. */
  services?: SimServiceFactory[];
  /** Real ms between background ticks in scaled mode, so timed behaviour happens without requests. */
  tickMs?: number;
}

interface Route {
  service: SimService;
  operation: string;
  input: Shape;
}

const CONTROL_PREFIX = "/_sim/";

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function signingNameOf(req: IncomingMessage): string | undefined {
  const auth = req.headers.authorization ?? "";
  return /Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\/aws4_request/.exec(auth)?.[1];
}

function parseStart(start: string | number | undefined): number | undefined {
  if (start === undefined) return undefined;
  const ms = typeof start === "number" ? start : Date.parse(start);
  if (Number.isNaN(ms)) throw new SimError("InvalidScenario", `clock.start ${String(start)} is not a time`);
  return ms;
}

export class Simulator {
  readonly clock: SimClock;
  readonly scheduler: Scheduler;
  readonly calls: CallRecord[] = [];
  faults: FaultRule[] = [];
  readonly region: string;
  readonly accountId: string;
  readonly #services = new Map<string, SimService>();
  #random: () => number;
  #server: Server | undefined;
  #ticker: NodeJS.Timeout | undefined;
  #seq = 0;
  endpoint = "";

  constructor(options: SimulatorOptions = {}) {
    this.region = options.region ?? "eu-west-1";
    this.accountId = options.accountId ?? "123456789012";
    this.clock = new SimClock(options.clock ?? { mode: "scaled", factor: 1 });
    this.scheduler = new Scheduler(this.clock.now());
    this.#random = seededRandom(options.seed ?? 1);
    const runtime: SimRuntime = {
      now: () => this.scheduler.current,
      scheduler: this.scheduler,
      random: () => this.#random(),
      region: this.region,
      accountId: this.accountId,
      service: <T extends SimService>(name: string): T => {
        const service = this.#services.get(name);
        if (!service) throw new Error(`the simulator has no ${name} service`);
        return service as T;
      },
      hexId: (length) => {
        let out = "";
        while (out.length < length) out += Math.floor(this.#random() * 16).toString(16);
        return out;
      },
    };
    for (const factory of options.services ?? []) {
      const service = factory(runtime);
      this.#services.set(service.definition.name, service);
    }
  }

  /** Simulated now as the services see it. */
  now(): number {
    return this.scheduler.current;
  }

  service<T extends SimService>(name: string): T {
    const service = this.#services.get(name);
    if (!service) throw new Error(`the simulator has no ${name} service`);
    return service as T;
  }

  serviceNames(): string[] {
    return [...this.#services.keys()];
  }

  /** Runs every simulated event that is due. */
  tick(): void {
    this.scheduler.runUntil(this.clock.now());
  }

  /** Moves simulated time forward and runs what became due. */
  advance(ms: number): void {
    this.clock.advance(ms);
    this.tick();
  }

  /**
   * Runs simulated time forward until the predicate holds or the budget is spent, jumping from event
   * to event (manual clock). Returns whether the predicate held.
   */
  runUntil(predicate: () => boolean, budgetMs: number): boolean {
    const limit = this.now() + budgetMs;
    this.tick();
    while (!predicate()) {
      const next = this.scheduler.nextAt();
      if (next === undefined || next > limit) {
        this.clock.advance(Math.max(0, limit - this.clock.now()));
        this.tick();
        return predicate();
      }
      this.clock.advance(Math.max(0, next - this.clock.now()));
      this.tick();
    }
    return true;
  }

  /** Replaces all state with a scenario. */
  load(scenario: Scenario): void {
    const clock = scenario.clock ?? {};
    const start = parseStart(clock.start);
    this.clock.configure({
      ...(clock.mode ? { mode: clock.mode } : {}),
      ...(clock.factor !== undefined ? { factor: clock.factor } : {}),
      ...(start !== undefined ? { start } : {}),
    });
    this.scheduler.reset(this.clock.now());
    this.#random = seededRandom(scenario.seed ?? 1);
    this.faults = [...(scenario.faults ?? [])];
    this.calls.length = 0;
    for (const service of this.#services.values()) service.reset();
    for (const [name, service] of this.#services) {
      if (scenario[name] !== undefined) service.load?.(scenario[name]);
    }
  }

  callsTo(operation: string, service?: string): CallRecord[] {
    return this.calls.filter((c) => c.operation === operation && (!service || c.service === service));
  }

  /** The distinct IAM actions of every successful call so far, sorted. */
  iamActions(): string[] {
    return [...new Set(this.calls.filter((c) => c.status < 400 || c.fault).map((c) => c.iamAction))].sort();
  }

  snapshot(): Record<string, unknown> {
    const state: Record<string, unknown> = { now: new Date(this.now()).toISOString() };
    for (const [name, service] of this.#services) state[name] = service.snapshot?.() ?? null;
    return state;
  }

  async listen(port = 0): Promise<string> {
    this.#server = createServer((req, res) => {
      this.#handle(req, res).catch((error: unknown) => {
        console.error("simulator bug:", error);
        if (!res.headersSent) {
          res.statusCode = 500;
          res.end(JSON.stringify({ __type: "InternalFailure", message: String(error) }));
        }
      });
    });
    // Connections stay open between SDK calls; do not hold the process on them when stopping.
    this.#server.keepAliveTimeout = 1000;
    await new Promise<void>((resolve) => this.#server?.listen(port, "127.0.0.1", resolve));
    this.endpoint = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this.endpoint;
  }

  /** Background ticks in scaled mode, so processes and timers follow simulated time without requests. */
  startTicking(intervalMs = 25): void {
    this.stopTicking();
    this.#ticker = setInterval(() => {
      if (this.clock.mode === "scaled") this.tick();
    }, intervalMs);
    this.#ticker.unref();
  }

  stopTicking(): void {
    if (this.#ticker) clearInterval(this.#ticker);
    this.#ticker = undefined;
  }

  async stop(): Promise<void> {
    this.stopTicking();
    for (const service of this.#services.values()) await service.close?.();
    const server = this.#server;
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }

  // ---- request handling --------------------------------------------------------------------------

  #route(req: IncomingMessage, body: string): Route {
    const target = req.headers["x-amz-target"];
    if (typeof target === "string") {
      const dot = target.lastIndexOf(".");
      const prefix = target.slice(0, dot);
      // The service registered last wins, so a test can put its own stand-in over a built-in one.
      const service = [...this.#services.values()].findLast((s) => s.definition.targetPrefix === prefix);
      if (!service) throw new SimError("UnknownOperationException", `No simulated service answers ${target}`);
      return { service, operation: target.slice(dot + 1), input: body ? (JSON.parse(body) as Shape) : {} };
    }
    const contentType = req.headers["content-type"] ?? "";
    if (contentType.startsWith("application/x-www-form-urlencoded")) {
      const { action, version, input } = decodeQuery(body);
      const signing = signingNameOf(req);
      const service =
        [...this.#services.values()].findLast(
          (s) => s.definition.protocol === "query" && s.definition.signingName === signing,
        ) ?? [...this.#services.values()].findLast((s) => s.definition.queryVersion === version);
      if (!service)
        throw new SimError("InvalidAction", `No simulated service answers ${action} (version ${version})`);
      return { service, operation: action, input };
    }
    throw new SimError(
      "UnknownOperationException",
      `Cannot tell which service ${req.method} ${req.url} is for`,
    );
  }

  #matchFault(service: string, operation: string, kind: FaultRule["kind"]): FaultRule | undefined {
    for (const rule of this.faults) {
      if (rule.kind !== kind) continue;
      if (rule.service && rule.service !== service) continue;
      if (rule.operation && rule.operation !== operation) continue;
      if (rule.count !== undefined && rule.count <= 0) continue;
      if (this.#random() >= (rule.rate ?? 1)) continue;
      if (rule.count !== undefined) rule.count--;
      return rule;
    }
    return undefined;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const url = new URL(req.url ?? "/", "http://simulator");
    if (url.pathname.startsWith(CONTROL_PREFIX)) {
      this.#control(req.method ?? "GET", url, body, res);
      return;
    }
    const requestId = randomUUID();
    let route: Route;
    try {
      route = this.#route(req, body);
    } catch (error) {
      const sim = error instanceof SimError ? error : new SimError("SerializationException", String(error));
      res.statusCode = 400;
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ __type: sim.code, message: sim.message }));
      return;
    }
    const { service, operation, input } = route;
    const def = service.definition;
    const record: CallRecord = {
      seq: ++this.#seq,
      at: 0,
      service: def.name,
      operation,
      iamAction: `${def.iamPrefix}:${operation}`,
      input,
      status: 200,
    };

    const latency = this.#matchFault(def.name, operation, "latency");
    if (latency?.latencyMs) await new Promise((resolve) => setTimeout(resolve, latency.latencyMs));
    this.tick();
    record.at = this.now();
    this.calls.push(record);

    if (this.#matchFault(def.name, operation, "drop")) {
      record.fault = "drop";
      record.status = 0;
      req.socket.destroy();
      return;
    }
    let failure: SimError | undefined;
    if (this.#matchFault(def.name, operation, "throttle")) {
      record.fault = "throttle";
      failure = new SimError(
        def.throttlingErrorCode ?? (def.protocol === "query" ? "Throttling" : "ThrottlingException"),
        "Rate exceeded",
      );
    } else if (this.#matchFault(def.name, operation, "access-denied")) {
      record.fault = "access-denied";
      // IAM's wording: the caller, the action, and why (no policy allows it).
      const query = def.protocol === "query";
      failure = new SimError(
        query ? "AccessDenied" : "AccessDeniedException",
        `User: arn:aws:sts::${this.accountId}:assumed-role/shipline-simulated/GitHubActions is not authorized to perform: ${record.iamAction} because no identity-based policy allows the ${record.iamAction} action`,
        query ? 403 : 400,
      );
    } else if (this.#matchFault(def.name, operation, "server-error")) {
      record.fault = "server-error";
      failure = new SimError(
        def.serverErrorCode ?? (def.protocol === "query" ? "InternalFailure" : "ServerException"),
        "We encountered an internal error. Please try again.",
        500,
      );
    }

    let result: unknown;
    if (!failure) {
      const handler = service.operations[operation];
      if (!handler) {
        failure = new SimError(
          def.protocol === "query" ? "InvalidAction" : "UnknownOperationException",
          `The simulator does not implement ${def.name}:${operation}.`,
        );
      } else {
        try {
          result = await handler(input, {
            now: () => this.now(),
            requestId,
            region: this.region,
            accountId: this.accountId,
          });
        } catch (error) {
          if (!(error instanceof SimError)) throw error;
          failure = error;
        }
      }
    }

    // Only a call that took effect can lose its answer; an injected error is an answer already.
    if (!record.fault && this.#matchFault(def.name, operation, "drop-response")) {
      record.fault = "drop-response";
      if (failure) {
        record.status = failure.status;
        record.error = failure.code;
      }
      req.socket.destroy();
      return;
    }
    res.setHeader("x-amzn-RequestId", requestId);
    if (failure) {
      record.status = failure.status;
      record.error = failure.code;
      res.statusCode = failure.status;
      if (def.protocol === "query") {
        res.setHeader("content-type", "text/xml");
        res.end(queryErrorXml(failure.code, failure.message, requestId, failure.status < 500));
      } else {
        res.setHeader("content-type", `application/x-amz-json-${def.protocol === "json1.0" ? "1.0" : "1.1"}`);
        res.setHeader("x-amzn-ErrorType", failure.code);
        res.end(JSON.stringify({ ...failure.fields, __type: failure.code, message: failure.message }));
      }
      return;
    }
    if (def.protocol === "query") {
      res.setHeader("content-type", "text/xml");
      res.end(queryResponseXml(operation, def.xmlNamespace ?? "", result, requestId));
    } else {
      res.setHeader("content-type", `application/x-amz-json-${def.protocol === "json1.0" ? "1.0" : "1.1"}`);
      res.end(JSON.stringify(toJsonValue(result ?? {})));
    }
  }

  #control(method: string, url: URL, body: string, res: ServerResponse): void {
    const send = (status: number, value: unknown): void => {
      res.statusCode = status;
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify(value, null, 2));
    };
    let parsed: Shape = {};
    try {
      parsed = body ? (JSON.parse(body) as Shape) : {};
    } catch {
      send(400, { error: "the body is not JSON" });
      return;
    }
    const path = url.pathname.slice(CONTROL_PREFIX.length).replace(/\/$/, "");
    try {
      this.tick();
      const key = `${method} ${path}`;
      switch (key) {
        case "GET health":
          send(200, { ok: true, endpoint: this.endpoint, now: this.now(), services: this.serviceNames() });
          return;
        case "GET clock":
          send(200, {
            now: this.now(),
            iso: new Date(this.now()).toISOString(),
            mode: this.clock.mode,
            factor: this.clock.factor,
          });
          return;
        case "POST clock": {
          const start = parseStart(parsed.start as string | number | undefined);
          this.clock.configure({
            ...(parsed.mode === "manual" || parsed.mode === "scaled" ? { mode: parsed.mode } : {}),
            ...(typeof parsed.factor === "number" ? { factor: parsed.factor } : {}),
            ...(start !== undefined ? { start } : {}),
          });
          if (typeof parsed.advanceMs === "number") this.advance(parsed.advanceMs);
          this.tick();
          send(200, { now: this.now(), mode: this.clock.mode, factor: this.clock.factor });
          return;
        }
        case "POST scenario":
          this.load(parsed as Scenario);
          send(200, { ok: true, now: this.now() });
          return;
        case "GET calls": {
          const since = Number(url.searchParams.get("since") ?? 0);
          const service = url.searchParams.get("service");
          const operation = url.searchParams.get("operation");
          send(
            200,
            this.calls.filter(
              (c) =>
                c.seq > since &&
                (!service || c.service === service) &&
                (!operation || c.operation === operation),
            ),
          );
          return;
        }
        case "DELETE calls":
          this.calls.length = 0;
          send(200, { ok: true });
          return;
        case "GET faults":
          send(200, this.faults);
          return;
        case "POST faults":
          this.faults.push(...((Array.isArray(parsed) ? parsed : [parsed]) as FaultRule[]));
          send(200, this.faults);
          return;
        case "DELETE faults":
          this.faults = [];
          send(200, { ok: true });
          return;
        case "GET state":
          send(200, this.snapshot());
          return;
        case "GET events":
          send(
            200,
            this.scheduler.pending().map((e) => ({ ...e, iso: new Date(e.at).toISOString() })),
          );
          return;
      }
      const [serviceName, control] = path.split("/", 2);
      const service = serviceName ? this.#services.get(serviceName) : undefined;
      const handler = control ? service?.control?.[control] : undefined;
      if (method === "POST" && handler) {
        send(200, handler(parsed) ?? { ok: true });
        return;
      }
      send(404, { error: `no control route ${method} /_sim/${path}` });
    } catch (error) {
      send(400, { error: error instanceof Error ? error.message : String(error) });
    }
  }
}
