// A forward proxy on loopback, for the tests of the bundles' proxy support: it answers CONNECT (the
// tunnel every HTTPS request through a proxy asks for) by connecting to the same port on 127.0.0.1,
// whatever host was asked for, and records what it was asked. So a made-up host name such as
// api.github.test is reachable through the proxy only: a request that got an answer went through it.
// With TLS fronts (a certificate for the made-up names, trusted by the child through
// NODE_EXTRA_CA_CERTS) before the loopback fakes, the requests are real HTTPS end to end.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer as createHttpServer } from "node:http";
import { connect, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer as createTlsServer } from "node:tls";
import { pathToFileURL } from "node:url";

export interface TestProxy {
  /** http://127.0.0.1:<port>, for HTTPS_PROXY / HTTP_PROXY. */
  readonly url: string;
  /** What it was asked, in order: `CONNECT host:port`, or `<METHOD> <absolute URL>`. */
  readonly seen: string[];
  close(): Promise<void>;
}

/** Closes a server and every connection it still holds, so a test never waits on a kept-alive socket. */
function closer(server: Server, sockets: Set<Socket>): () => Promise<void> {
  return () =>
    new Promise((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });
}

function track(server: Server): Set<Socket> {
  const sockets = new Set<Socket>();
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  return sockets;
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (!address || typeof address === "string") throw new Error("the server has no port");
  return address.port;
}

export async function startProxy(): Promise<TestProxy> {
  const seen: string[] = [];
  // A request in absolute form (how an HTTP, not HTTPS, request goes to a proxy) is recorded and
  // refused: these tests send HTTPS only, and a refusal ends the request instead of leaving it open.
  const server = createHttpServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    res.writeHead(501, { connection: "close" }).end("this proxy only tunnels");
  });
  const sockets = track(server);
  server.on("connect", (req, client: Socket, head: Buffer) => {
    const target = req.url ?? "";
    seen.push(`CONNECT ${target}`);
    sockets.add(client);
    const port = Number(target.slice(target.lastIndexOf(":") + 1));
    // Always an answer: a tunnel dropped without one makes fetch ask again at once, over and over.
    if (!Number.isInteger(port) || port <= 0) {
      client.end("HTTP/1.1 400 Bad Request\r\n\r\n");
      return;
    }
    const upstream = connect(port, "127.0.0.1");
    sockets.add(upstream);
    upstream.once("connect", () => {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on("error", () => {
      if (client.writable) client.end("HTTP/1.1 502 Bad Gateway\r\n\r\n");
    });
    client.on("error", () => upstream.destroy());
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}`, seen, close: closer(server, sockets) };
}

export interface TestCertificate {
  /** The certificate (self-signed, so also its own CA) as a file, for NODE_EXTRA_CA_CERTS. */
  readonly certFile: string;
  readonly key: Buffer;
  readonly cert: Buffer;
  remove(): void;
}

/** A throwaway certificate for the given DNS names, made with openssl for this run only. */
export function testCertificate(names: string[]): TestCertificate {
  const dir = mkdtempSync(join(tmpdir(), "shipline-tls-"));
  const keyFile = join(dir, "key.pem");
  const certFile = join(dir, "cert.pem");
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-days",
      "1",
      "-subj",
      "/CN=shipline test",
      "-addext",
      `subjectAltName=${names.map((name) => `DNS:${name}`).join(",")}`,
      "-keyout",
      keyFile,
      "-out",
      certFile,
    ],
    { stdio: "pipe", timeout: 20_000 },
  );
  return {
    certFile,
    key: readFileSync(keyFile),
    cert: readFileSync(certFile),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export interface TlsFront {
  /** The port it listens on, on 127.0.0.1. */
  readonly port: number;
  close(): Promise<void>;
}

/** Terminates TLS with the certificate and passes the plain bytes to a loopback server's port. */
export async function startTlsFront(certificate: TestCertificate, targetPort: number): Promise<TlsFront> {
  const server = createTlsServer({ key: certificate.key, cert: certificate.cert }, (socket) => {
    const upstream = connect(targetPort, "127.0.0.1");
    socket.pipe(upstream);
    upstream.pipe(socket);
    socket.on("error", () => upstream.destroy());
    upstream.on("error", () => socket.destroy());
    socket.on("close", () => upstream.destroy());
  });
  const sockets = track(server as unknown as Server);
  const port = await listen(server as unknown as Server);
  return { port, close: closer(server as unknown as Server, sockets) };
}

/**
 * A module for the child's NODE_OPTIONS (`--import`) that resolves every `*.test` name to 127.0.0.1,
 * so a request that skips the proxy (a NO_PROXY host) can reach the same fakes directly.
 */
export function loopbackResolver(dir: string): string {
  const file = join(dir, "resolve-test-names.mjs");
  writeFileSync(
    file,
    `import dns from "node:dns";
const lookup = dns.lookup;
dns.lookup = function (hostname, options, callback) {
  if (typeof hostname !== "string" || !hostname.endsWith(".test")) return lookup.apply(this, arguments);
  const done = typeof options === "function" ? options : callback;
  const all = typeof options === "object" && options !== null && options.all;
  process.nextTick(() => (all ? done(null, [{ address: "127.0.0.1", family: 4 }]) : done(null, "127.0.0.1", 4)));
};
`,
  );
  return `--import=${pathToFileURL(file).href}`;
}
