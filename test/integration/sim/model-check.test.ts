// The simulator's check of its answers against the AWS SDK's model, through real SDK clients: drifts
// are recorded where the answer leaves the dispatcher, not thrown at the client; forced raw replies,
// overrides that answer off the model on purpose and simulators with the check off are not checked.
import { DescribeServicesCommand, ListServicesCommand } from "@aws-sdk/client-ecs";
import { afterEach, describe, expect, it } from "vitest";
import { RawReply, SimError, type Simulator, startSimulator } from "../../sim/index";
import { takeUnreportedModelDrifts } from "../../sim/simulator";
import { simulatorClients } from "./clients";

let sim: Simulator | undefined;
afterEach(async () => {
  // These tests provoke drifts on purpose: forget them before test/vitest.setup.ts looks.
  sim?.clearModelDrifts();
  await sim?.stop();
  sim = undefined;
});

const offModelAnswer = { serviceArns: [], colour: "green" };

describe("the model check of the simulator's answers", () => {
  it("records an answer off the model, names operation and member, and still answers the client", async () => {
    sim = await startSimulator();
    expect(sim.checksModels).toBe(true);
    sim.override({ service: "ecs", operation: "ListServices", handle: () => offModelAnswer });
    const { ecs } = simulatorClients(sim);
    await expect(ecs.send(new ListServicesCommand({}))).resolves.toMatchObject({ serviceArns: [] });
    expect(sim.modelDrifts()).toEqual([
      {
        service: "ecs",
        operation: "ListServices",
        path: "colour",
        problem: "not a member of ListServicesResponse in the model",
      },
    ]);
    const control = await fetch(`${sim.endpoint}/_sim/model-drifts`).then((r) => r.json());
    expect(control).toEqual(sim.modelDrifts());
  });

  it("hands drifts to the check that fails the test, once", async () => {
    sim = await startSimulator();
    sim.override({ service: "ecs", operation: "ListServices", handle: () => offModelAnswer });
    const { ecs } = simulatorClients(sim, 1);
    await ecs.send(new ListServicesCommand({}));
    expect(takeUnreportedModelDrifts()).toMatchObject([{ operation: "ListServices", path: "colour" }]);
    expect(takeUnreportedModelDrifts()).toEqual([]);
    expect(sim.modelDrifts()).toHaveLength(1);
  });

  it("records an undeclared error code", async () => {
    sim = await startSimulator();
    // AWS reports an unknown service of DescribeServices among the failures, never as this error.
    sim.override({
      service: "ecs",
      operation: "DescribeServices",
      handle: () => {
        throw new SimError("ServiceNotFoundException", "Service not found.");
      },
    });
    const { ecs } = simulatorClients(sim, 1);
    await expect(ecs.send(new DescribeServicesCommand({ services: ["web"] }))).rejects.toMatchObject({
      name: "ServiceNotFoundException",
    });
    expect(sim.modelDrifts()).toMatchObject([{ operation: "DescribeServices", path: "error" }]);
  });

  it("leaves alone an override marked offModel, a RawReply, and a simulator with the check off", async () => {
    sim = await startSimulator();
    sim.override({ service: "ecs", operation: "ListServices", offModel: true, handle: () => offModelAnswer });
    sim.override({
      service: "ecs",
      operation: "DescribeServices",
      handle: () => new RawReply(502, "<html>Bad Gateway</html>"),
    });
    const { ecs } = simulatorClients(sim, 1);
    await ecs.send(new ListServicesCommand({}));
    await expect(ecs.send(new DescribeServicesCommand({ services: ["web"] }))).rejects.toThrow();
    expect(sim.modelDrifts()).toEqual([]);
    await sim.stop();

    sim = await startSimulator({ checkModels: false });
    expect(sim.checksModels).toBe(false);
    sim.override({ service: "ecs", operation: "ListServices", handle: () => offModelAnswer });
    await simulatorClients(sim).ecs.send(new ListServicesCommand({}));
    expect(sim.modelDrifts()).toEqual([]);
  });
});
