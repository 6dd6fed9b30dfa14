// A plain concatenating proxy, the floor of the process benchmark: it fetches every upstream
// concurrently over keep-alive connections and answers their bodies one after the other, parsing
// nothing (its answer is not even a valid exposition when two upstreams share a metric name).
// Run as its own process by process.ts: PROXY_UPSTREAMS='["http://127.0.0.1:p/metrics",…]' node proxy.js
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { Pool } from 'undici';

const gzipAsync = promisify(gzip);
/** The aggregator's level, so that the gzip figures compare the same work. */
const GZIP_LEVEL = 1;
const CONTENT_TYPE_TEXT = 'text/plain; version=0.0.4; charset=utf-8';

interface Upstream {
  readonly pool: Pool;
  readonly path: string;
}

async function fetchBody({ pool, path }: Upstream): Promise<Buffer> {
  const { statusCode, body } = await pool.request({
    method: 'GET',
    path,
    headers: { accept: 'text/plain;version=0.0.4', 'accept-encoding': 'identity' },
  });
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  if (statusCode !== 200) throw new Error(`${path}: HTTP ${statusCode}`);
  return Buffer.concat(chunks);
}

function main(): void {
  const urls = JSON.parse(process.env.PROXY_UPSTREAMS ?? '[]') as string[];
  // One keep-alive connection per upstream, as the aggregator's scraper keeps.
  const upstreams: Upstream[] = urls.map((href) => {
    const url = new URL(href);
    return { pool: new Pool(url.origin, { connections: 1, keepAliveTimeout: 60_000 }), path: url.pathname };
  });
  const answer = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const settled = await Promise.allSettled(upstreams.map(fetchBody));
    let body = Buffer.concat(settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : [])));
    const headers: Record<string, string> = { 'content-type': CONTENT_TYPE_TEXT };
    if (/\bgzip\b/.test(req.headers['accept-encoding'] ?? '')) {
      body = await gzipAsync(body, { level: GZIP_LEVEL });
      headers['content-encoding'] = 'gzip';
    }
    headers['content-length'] = String(body.length);
    res.writeHead(200, headers);
    res.end(body);
  };
  const server = createServer((req, res) => {
    answer(req, res).catch((error: unknown) => {
      res.writeHead(500);
      res.end(String(error));
    });
  });
  server.keepAliveTimeout = 65_000;
  server.listen(0, '127.0.0.1', () => {
    const { address, port } = server.address() as AddressInfo;
    process.stdout.write(`${JSON.stringify({ msg: 'listening', address: `${address}:${port}` })}\n`);
  });
  process.on('SIGTERM', () => {
    server.close();
    server.closeAllConnections();
    Promise.all(upstreams.map((u) => u.pool.close())).then(() => process.exit(0));
  });
}

main();
