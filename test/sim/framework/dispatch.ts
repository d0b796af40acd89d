// How one AWS call travels through the simulator: it is routed to a service (protocol.ts), logged,
// given the faults that fire for it, passed through the overrides to the service's own handler, and
// answered. Every answer leaves through `#answer()`, injected faults and simulator bugs included:
// that is the one place where a profile's rewriting of responses, or a check of each response
// against the AWS SDK's model of the operation, belongs.
import { randomUUID } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import type { Simulator } from "../simulator";
import type { CallEntry, CallLog } from "./call-log";
import { SimError } from "./errors";
import type { FaultBook, FaultKind } from "./faults";
import { checkAnswer, type ModelDrift } from "./model-check";
import { encode, type Outcome, RawReply, type Route, route, routingError, type WireReply } from "./protocol";
import type { OperationContext, Shape, SimService } from "./types";

/** One call as an override sees it. */
export interface OverrideCall {
  readonly input: Shape;
  readonly context: OperationContext;
  /** The simulator, for reading state through its public surface. */
  readonly sim: Simulator;
  /** Hands the call (or a changed input) on to the next override, and finally to the service. */
  next(input?: Shape): Promise<unknown>;
}

/**
 * Replaces or wraps one operation of one service: return an answer (or a RawReply), throw a SimError,
 * or call `next()` and change what it returns. The last override added sees the call first.
 */
export interface Override {
  readonly service: string;
  readonly operation: string;
  handle(call: OverrideCall): unknown;
  /**
   * This override answers off the AWS SDK's model on purpose (an AWS-compatible endpoint's quirk, a
   * member a newer API adds): the answers of calls it handles are not checked against the model.
   */
  readonly offModel?: boolean;
}

export interface DispatchHost {
  readonly sim: Simulator;
  readonly calls: CallLog;
  readonly faults: FaultBook;
  services(): readonly SimService[];
  overrides(): readonly Override[];
  /** Moves a stepped clock on by one call, then runs every simulated event that is due. */
  tick(): void;
  now(): number;
  random(): number;
  readonly region: string;
  readonly accountId: string;
  /** Whether answers are checked against the SDK's model (model-check.ts), and where drifts go. */
  checkModels(): boolean;
  recordDrifts(drifts: readonly ModelDrift[]): void;
}

/** What the HTTP server does with a call: write this reply, or destroy the connection. */
export type Reply = WireReply | "drop";

export interface IncomingCall {
  headers: IncomingHttpHeaders;
  body: string;
}

export class Dispatcher {
  constructor(private readonly host: DispatchHost) {}

  async handle(request: IncomingCall): Promise<Reply> {
    let target: Route;
    try {
      target = route(request.headers, request.body, this.host.services());
    } catch (error) {
      if (error instanceof SimError) return routingError(error);
      throw error;
    }
    const { service, operation, input } = target;
    const def = service.definition;
    const requestId = randomUUID();
    const fire = (kind: FaultKind) => this.host.faults.fire(def.name, operation, kind, this.host.random);

    const latency = fire("latency");
    if (latency?.latencyMs) await new Promise((resolve) => setTimeout(resolve, latency.latencyMs));
    this.host.tick();
    const call = this.host.calls.record({
      at: this.host.now(),
      service: def.name,
      operation,
      iamAction: `${def.iamPrefix}:${operation}`,
      input,
    });

    if (fire("drop")) {
      call.fault = "drop";
      call.status = 0;
      return "drop";
    }
    const injected = this.#injectedFailure(target, call, fire);
    const handled = { offModel: false };
    const outcome = injected
      ? { kind: "error" as const, error: injected }
      : await this.#invoke(target, requestId, handled);
    // Only a call that took effect can lose its answer; an injected error is an answer already.
    if (!call.fault && fire("drop-response")) {
      call.fault = "drop-response";
      if (outcome.kind === "error") {
        call.status = outcome.error.status;
        call.error = outcome.error.code;
      }
      return "drop";
    }
    return this.#answer(target, call, outcome, requestId, handled.offModel);
  }

  /**
   * The one exit: logs the status, checks the answer against the SDK's model of the operation (a
   * RawReply, bytes a test forced, and an override's answer off the model on purpose excepted), and
   * writes the outcome in the service's protocol.
   */
  #answer(target: Route, call: CallEntry, outcome: Outcome, requestId: string, offModel: boolean): WireReply {
    if (outcome.kind === "error") {
      call.status = outcome.error.status;
      call.error = outcome.error.code;
    } else if (outcome.kind === "raw") {
      call.status = outcome.reply.status;
    }
    if (outcome.kind !== "raw" && !offModel && this.host.checkModels()) {
      const def = target.service.definition;
      const drifts = checkAnswer(
        def.name,
        def.protocol,
        target.operation,
        outcome.kind === "error"
          ? { kind: "error", code: outcome.error.code }
          : { kind: "result", value: outcome.value },
      );
      if (drifts.length > 0) this.host.recordDrifts(drifts);
    }
    const reply = encode(target.service.definition, target.operation, outcome, requestId);
    // AWS dates every answer; clients that judge by AWS's clock read it (simulated time, not the host's).
    reply.headers.date = new Date(this.host.now()).toUTCString();
    return reply;
  }

  #injectedFailure(target: Route, call: CallEntry, fire: (kind: FaultKind) => unknown): SimError | undefined {
    const def = target.service.definition;
    const query = def.protocol === "query";
    if (fire("throttle")) {
      call.fault = "throttle";
      return new SimError(
        def.throttlingErrorCode ?? (query ? "Throttling" : "ThrottlingException"),
        "Rate exceeded",
      );
    }
    if (fire("access-denied")) {
      call.fault = "access-denied";
      // IAM's wording: the caller, the action, and why (no policy allows it).
      return new SimError(
        query ? "AccessDenied" : "AccessDeniedException",
        `User: arn:aws:sts::${this.host.accountId}:assumed-role/shipline-simulated/GitHubActions is not authorized to perform: ${call.iamAction} because no identity-based policy allows the ${call.iamAction} action`,
        query ? 403 : 400,
      );
    }
    if (fire("server-error")) {
      call.fault = "server-error";
      return new SimError(
        def.serverErrorCode ?? (query ? "InternalFailure" : "ServerException"),
        "We encountered an internal error. Please try again.",
        500,
      );
    }
    return undefined;
  }

  /** Runs the call through the overrides of its operation (last added first) to the service's handler. */
  async #invoke(target: Route, requestId: string, handled: { offModel: boolean }): Promise<Outcome> {
    const { service, operation } = target;
    const context: OperationContext = {
      now: () => this.host.now(),
      requestId,
      region: this.host.region,
      accountId: this.host.accountId,
    };
    const handler = service.operations[operation];
    const own = async (input: Shape): Promise<unknown> => {
      if (!handler) {
        throw new SimError(
          service.definition.protocol === "query" ? "InvalidAction" : "UnknownOperationException",
          `The simulator does not implement ${service.definition.name}:${operation}.`,
        );
      }
      return handler(input, context);
    };
    const chain = this.host
      .overrides()
      .filter((o) => o.service === service.definition.name && o.operation === operation)
      .reduce<(input: Shape) => Promise<unknown>>(
        (next, override) => async (input) => {
          if (override.offModel) handled.offModel = true;
          return override.handle({
            input,
            context,
            sim: this.host.sim,
            next: (changed) => next(changed ?? input),
          });
        },
        own,
      );
    try {
      const value = await chain(target.input);
      return value instanceof RawReply ? { kind: "raw", reply: value } : { kind: "result", value };
    } catch (error) {
      if (error instanceof SimError) return { kind: "error", error };
      if (error instanceof RawReply) return { kind: "raw", reply: error };
      // A bug in a simulated service: say so loudly, and answer as AWS answers an internal failure.
      console.error(`simulator bug in ${service.definition.name}:${operation}:`, error);
      return { kind: "error", error: new SimError("InternalFailure", String(error), 500) };
    }
  }
}
