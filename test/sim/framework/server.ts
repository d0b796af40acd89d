// The simulator's HTTP server on 127.0.0.1: AWS calls go to the dispatcher, paths under /_sim/ to
// the control API.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { IncomingCall, Reply } from "./dispatch";

export const CONTROL_PREFIX = "/_sim/";

export interface ControlReply {
  status: number;
  value: unknown;
}

export interface ServerHandlers {
  call(request: IncomingCall): Promise<Reply>;
  control(method: string, url: URL, body: string): ControlReply;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

export class SimServer {
  #server: Server | undefined;

  constructor(private readonly handlers: ServerHandlers) {}

  async listen(port: number): Promise<string> {
    const server = createServer((req, res) => {
      this.#serve(req, res).catch((error: unknown) => {
        console.error("simulator bug:", error);
        if (!res.headersSent) {
          res.statusCode = 500;
          res.end(JSON.stringify({ __type: "InternalFailure", message: String(error) }));
        }
      });
    });
    // Connections stay open between SDK calls; do not hold the process on them when stopping.
    server.keepAliveTimeout = 1000;
    this.#server = server;
    await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  async #serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const url = new URL(req.url ?? "/", "http://simulator");
    if (url.pathname.startsWith(CONTROL_PREFIX)) {
      const reply = this.handlers.control(req.method ?? "GET", url, body);
      res.statusCode = reply.status;
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify(reply.value, null, 2));
      return;
    }
    const reply = await this.handlers.call({ headers: req.headers, body });
    if (reply === "drop") {
      req.socket.destroy();
      return;
    }
    res.statusCode = reply.status;
    for (const [name, value] of Object.entries(reply.headers)) res.setHeader(name, value);
    res.end(reply.body);
  }
}
