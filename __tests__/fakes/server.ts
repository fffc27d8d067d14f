/**
 * A local fake of an HTTP API on 127.0.0.1: routes answer as the real API documents, every request is
 * recorded (so a test can show nothing left 127.0.0.1 and nothing wrote), and tests change the fake's state
 * to break one precondition at a time. Never the internet.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";

export interface Recorded {
  readonly method: string;
  readonly path: string;
  readonly host: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

export type Handler = (req: { method: string; path: string; query: URLSearchParams; body: any; headers: http.IncomingHttpHeaders }) => { status: number; body?: unknown; headers?: Record<string, string>; raw?: string } | undefined;

export interface Fake {
  readonly url: string;
  readonly requests: Recorded[];
  close(): Promise<void>;
}

/** Starts a fake answering with `handler` (undefined → 404 like the real APIs' "not found"). */
export async function startFake(handler: Handler): Promise<Fake> {
  const requests: Recorded[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      requests.push({ method: req.method ?? "GET", path: url.pathname, host: req.headers.host ?? "", headers: req.headers, body });
      let parsed: unknown = undefined;
      try {
        parsed = body ? JSON.parse(body) : undefined;
      } catch {
        parsed = body;
      }
      const out = handler({ method: req.method ?? "GET", path: url.pathname, query: url.searchParams, body: parsed, headers: req.headers }) ?? {
        status: 404,
        body: { message: "Not Found" },
      };
      res.writeHead(out.status, { "content-type": "application/json", ...(out.headers ?? {}) });
      // `raw`: a body that is not JSON (what a proxy's error page looks like)
      res.end(out.raw ?? (out.body === undefined ? "" : JSON.stringify(out.body)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
