// The control API under /_sim/, for a simulator in another process (the standalone `npm run sim`):
// the same inspect-and-control surface a test has in-process, over HTTP with JSON bodies.
import type { Scenario, Simulator } from "../simulator";
import { CONTROL_PREFIX, type ControlReply } from "./server";
import type { ControlHandler, Shape } from "./types";

/** A service's own control handler, by service and handler name. */
export type ServiceControl = (service: string, name: string) => ControlHandler | undefined;

export function handleControl(
  sim: Simulator,
  serviceControl: ServiceControl,
  method: string,
  url: URL,
  body: string,
): ControlReply {
  let parsed: unknown;
  try {
    parsed = body ? JSON.parse(body) : {};
  } catch {
    return { status: 400, value: { error: "the body is not JSON" } };
  }
  const path = url.pathname.slice(CONTROL_PREFIX.length).replace(/\/$/, "");
  try {
    sim.tick();
    const value = route(sim, serviceControl, `${method} ${path}`, url, parsed);
    if (value === undefined)
      return { status: 404, value: { error: `no control route ${method} /_sim/${path}` } };
    return { status: 200, value };
  } catch (error) {
    return { status: 400, value: { error: error instanceof Error ? error.message : String(error) } };
  }
}

function route(
  sim: Simulator,
  serviceControl: ServiceControl,
  key: string,
  url: URL,
  body: unknown,
): unknown {
  const shape = (body ?? {}) as Shape;
  switch (key) {
    case "GET health":
      return {
        ok: true,
        endpoint: sim.endpoint,
        now: sim.now(),
        services: sim.serviceNames(),
        checksModels: sim.checksModels,
      };
    case "GET clock":
      return sim.clock;
    case "POST clock":
      sim.setClock({
        ...(shape.mode === "manual" || shape.mode === "scaled" || shape.mode === "stepped"
          ? { mode: shape.mode }
          : {}),
        ...(typeof shape.factor === "number" ? { factor: shape.factor } : {}),
        ...(typeof shape.stepMs === "number" ? { stepMs: shape.stepMs } : {}),
        ...(typeof shape.start === "number" || typeof shape.start === "string" ? { start: shape.start } : {}),
      });
      if (typeof shape.advanceMs === "number") sim.advance(shape.advanceMs);
      return sim.clock;
    case "POST scenario":
      sim.load(shape as Scenario);
      return { ok: true, now: sim.now() };
    case "GET calls": {
      const service = url.searchParams.get("service");
      const operation = url.searchParams.get("operation");
      return sim
        .callsSince(Number(url.searchParams.get("since") ?? 0))
        .filter((c) => (!service || c.service === service) && (!operation || c.operation === operation));
    }
    case "GET calls/counts":
      return sim.callCounts({
        since: Number(url.searchParams.get("since") ?? 0),
        ...(url.searchParams.get("service") ? { service: url.searchParams.get("service") as string } : {}),
      });
    case "DELETE calls":
      sim.clearCalls();
      return { ok: true };
    case "GET faults":
      return sim.faults;
    case "POST faults":
      sim.injectFault(...(Array.isArray(body) ? body : [body]));
      return sim.faults;
    case "DELETE faults":
      sim.clearFaults();
      return { ok: true };
    case "GET state":
      return sim.snapshot();
    case "GET model-drifts":
      return sim.modelDrifts();
    case "DELETE model-drifts":
      sim.clearModelDrifts();
      return { ok: true };
    case "GET events":
      return sim.pendingEvents().map((e) => ({ ...e, iso: new Date(e.at).toISOString() }));
  }
  const [method, path] = key.split(" ", 2) as [string, string];
  const [service, name] = path.split("/", 2);
  const handler = method === "POST" && service && name ? serviceControl(service, name) : undefined;
  return handler ? (handler(shape) ?? { ok: true }) : undefined;
}
