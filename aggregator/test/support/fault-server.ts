import { once } from 'node:events';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

/** What a test makes the server do with one request: answer, hang, drip, reset. */
export type FaultHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** A real HTTP(S) server on 127.0.0.1 that records what it saw. */
export interface FaultServer {
  /** Base URL, `http://127.0.0.1:<port>` (or https). */
  readonly url: string;
  readonly port: number;
  /** Request headers, in arrival order. */
  readonly requests: IncomingHttpHeaders[];
  /** Sockets accepted so far. */
  connections(): number;
  /** Destroys every connection and stops listening. */
  close(): Promise<void>;
}

/** Starts a server on a random port of 127.0.0.1; pass `tls` for https. */
export async function startFaultServer(
  handler: FaultHandler,
  tls?: { key: string | Buffer; cert: string | Buffer },
): Promise<FaultServer> {
  const requests: IncomingHttpHeaders[] = [];
  let connections = 0;
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    requests.push(req.headers);
    handler(req, res);
  };
  const server: Server = tls ? createTlsServer(tls, onRequest) : createServer(onRequest);
  server.on(tls ? 'secureConnection' : 'connection', () => connections++);
  // A handshake the client rejects is part of the tests, not a failure of the server.
  server.on('tlsClientError', () => {});
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    requests,
    connections: () => connections,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A port on 127.0.0.1 that nothing listens on (it was free a moment ago). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Writes `chunk` `times` times, honouring backpressure; stops early when the client goes away. */
export async function writeRepeatedly(res: ServerResponse, chunk: Buffer, times: number): Promise<void> {
  for (let i = 0; i < times; i++) {
    if (res.destroyed) return;
    if (!res.write(chunk)) {
      await Promise.race([once(res, 'drain'), once(res, 'close')]);
    }
  }
}
