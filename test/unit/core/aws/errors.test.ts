import { AccessDeniedException, ClusterNotFoundException, ECSServiceException } from "@aws-sdk/client-ecs";
import { describe, expect, it } from "vitest";
import { awsUserError, explainAwsErrors, notAnAwsAnswer } from "../../../../packages/core/src/aws/errors";
import { CancelledError, UserError } from "../../../../packages/core/src/runtime/errors";
import type { ActionContext } from "../../../../packages/core/src/runtime/run";

const metadata = { httpStatusCode: 400, requestId: "req-1", attempts: 3 };

function serviceError(name: string, message: string, fault: "client" | "server" = "client") {
  return new ECSServiceException({ name, message, $fault: fault, $metadata: metadata });
}

describe("awsUserError", () => {
  it.each([
    {
      what: "a denied call",
      error: new AccessDeniedException({
        message: "User: arn:aws:sts::1:assumed-role/ci/x is not authorized to perform: ecs:UpdateService",
        $metadata: metadata,
      }),
      message:
        /^AWS denied a call ecs-deploy needs: AccessDeniedException: User: .* ecs:UpdateService \(request id req-1\)$/,
      fix: /Allow the IAM action named above .* ecs-deploy needs are listed in its README under Permissions/,
    },
    {
      what: "an expired session",
      error: serviceError("ExpiredTokenException", "The security token included in the request is expired"),
      message: /^The job's AWS credentials expired/,
      fix: /role-duration-seconds/,
    },
    {
      what: "credentials AWS does not know",
      error: serviceError(
        "UnrecognizedClientException",
        "The security token included in the request is invalid.",
      ),
      message: /^AWS did not accept the job's credentials/,
      fix: /configure-aws-credentials/,
    },
    {
      what: "throttling beyond the retries",
      error: serviceError("ThrottlingException", "Rate exceeded"),
      message: /^AWS kept throttling ecs-deploy's calls after 3 attempts: ThrottlingException: Rate exceeded/,
      fix: /Raise `aws-max-attempts`/,
      input: "aws-max-attempts",
    },
    {
      what: "a server fault",
      error: serviceError("ServerException", "Service unavailable", "server"),
      message: /^AWS failed to answer ecs-deploy after 3 attempts/,
      fix: /re-run the step/,
    },
    {
      what: "a missing resource",
      error: new ClusterNotFoundException({ message: "Cluster not found.", $metadata: metadata }),
      message:
        /^AWS could not find a resource ecs-deploy uses: ClusterNotFoundException: Cluster not found\./,
      fix: /`aws-region`/,
    },
    {
      what: "no credentials at all",
      error: Object.assign(new Error("Could not load credentials from any providers"), {
        name: "CredentialsProviderError",
      }),
      message: /^No AWS credentials were found/,
      fix: /configure-aws-credentials/,
    },
    {
      what: "an endpoint nobody listens on",
      error: Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" }),
      message: /^ecs-deploy could not reach AWS: connect ECONNREFUSED/,
      fix: /`aws-endpoint-url`/,
    },
  ])("makes $what a user error with a fix", ({ error, message, fix, input }) => {
    const user = awsUserError(error, "ecs-deploy");
    expect(user).toBeInstanceOf(UserError);
    expect(user?.message).toMatch(message);
    expect(user?.fix).toMatch(fix);
    if (input) expect(user?.input).toBe(input);
    expect(user?.cause).toBe(error);
  });

  it.each([
    ["a programming error", new TypeError("Cannot read properties of undefined")],
    ["a client exception ECS raises for a bad request", serviceError("InvalidParameterException", "bad")],
    ["a user error", new UserError("already explained")],
    ["a cancellation", new CancelledError()],
    ["a string", "boom"],
  ])("leaves %s alone", (_what, error) => {
    expect(awsUserError(error, "ecs-deploy")).toBeUndefined();
  });
});

describe("explainAwsErrors", () => {
  const context = {} as ActionContext;

  it("rethrows an AWS failure as a user error and anything else unchanged", async () => {
    const denied = new AccessDeniedException({ message: "not authorized", $metadata: {} });
    await expect(explainAwsErrors("migrate", () => Promise.reject(denied))(context)).rejects.toBeInstanceOf(
      UserError,
    );
    const bug = new RangeError("index out of range");
    await expect(explainAwsErrors("migrate", () => Promise.reject(bug))(context)).rejects.toBe(bug);
    await expect(explainAwsErrors("migrate", () => Promise.resolve())(context)).resolves.toBeUndefined();
  });
});

describe("notAnAwsAnswer", () => {
  it("describes an HTML page the SDK could not parse by its status and content type", () => {
    const error = Object.assign(
      new SyntaxError("Unexpected token '<', \"<!DOCTYPE \"... is not valid JSON"),
      {
        $metadata: { httpStatusCode: 500 },
        $response: { statusCode: 500, headers: { "content-type": "text/html" } },
      },
    );
    expect(notAnAwsAnswer(error)).toBe("HTTP 500 with a body that is not an AWS answer (text/html)");
  });

  it("leaves every AWS error alone", () => {
    const denied = new AccessDeniedException({ message: "no", $metadata: { httpStatusCode: 400 } });
    expect(notAnAwsAnswer(denied)).toBeUndefined();
    expect(notAnAwsAnswer(new SyntaxError("a bug of our own"))).toBeUndefined();
    expect(notAnAwsAnswer(undefined)).toBeUndefined();
  });
});
