import type { ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import type { UpstreamFailureReason } from '../../src/observability/self-metrics';
import { closedPort, type FaultHandler, type FaultServer, startFaultServer } from './fault-server';

const MiB = 1024 * 1024;
export const TEXT_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** A small valid classic-text body whose series are all named `<app>_…`. */
export function healthyBody(app: string): string {
  return [
    `# HELP ${app}_requests_total Requests handled.`,
    `# TYPE ${app}_requests_total counter`,
    `${app}_requests_total{method="GET"} 7`,
    `${app}_requests_total{method="POST"} 3`,
    `# TYPE ${app}_in_flight gauge`,
    `${app}_in_flight 1`,
    '',
  ].join('\n');
}

/** Answers `body` as classic text. */
export function healthy(body: string): FaultHandler {
  return (_req, res) => {
    res.writeHead(200, { 'content-type': TEXT_CONTENT_TYPE });
    res.end(body);
  };
}

/** One way an upstream misbehaves, and the reason the aggregator must count it under. */
export interface Fault {
  readonly name: string;
  readonly reason: UpstreamFailureReason;
  /** Undefined: nothing listens on the port. */
  readonly handler: FaultHandler | undefined;
}

/** Deterministic bytes of every value (a linear congruential generator): "binary garbage". */
function garbage(length: number): Buffer {
  const bytes = Buffer.alloc(length);
  let seed = 42;
  for (let i = 0; i < length; i++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    bytes[i] = (seed >> 16) & 0xff;
  }
  return bytes;
}

/**
 * Writes `chunk` `times` times, honouring backpressure, and stops when the client goes away; unlike
 * `writeRepeatedly` it leaves no listener behind per wait (hundreds of waits per body here).
 */
async function writeChunks(res: ServerResponse, chunk: Buffer, times: number): Promise<void> {
  for (let i = 0; i < times && !res.destroyed; i++) {
    if (res.write(chunk)) continue;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        res.off('drain', done);
        res.off('close', done);
        resolve();
      };
      res.on('drain', done);
      res.on('close', done);
    });
  }
}

function ok(res: ServerResponse, headers: Record<string, string> = {}): void {
  res.writeHead(200, { 'content-type': TEXT_CONTENT_TYPE, ...headers });
}

/**
 * The faults of the issue: refusing, hanging past the timeout, slow-dripping bytes, resetting mid-body,
 * 500, gzip bomb, 50 MB body, binary garbage, invalid UTF-8, one line of 10 MB; then a corrupt gzip
 * body and too many samples. The size faults expect `--max-body-bytes 10MiB --max-line-bytes 1MiB
 * --max-samples 1000`, the time faults an upstream timeout of a few seconds.
 */
export function upstreamFaults(): Fault[] {
  // 64 MiB of comment lines inflate from about 64 KiB: caught by the decoded body limit, not the wire one.
  const bomb = gzipSync(Buffer.alloc(64 * MiB, '# all work and no play\n'));
  const line = Buffer.alloc(MiB, '# 50 MB of comments, every line short\n');
  const invalidUtf8 = Buffer.concat([
    Buffer.from('# TYPE jobs gauge\njobs{queue="'),
    Buffer.from([0xc3, 0x28, 0xff]),
    Buffer.from('"} 1\n'),
  ]);
  const x = Buffer.alloc(64 * 1024, 'x');
  return [
    { name: 'refusing', reason: 'refused', handler: undefined },
    { name: 'hanging', reason: 'timeout', handler: () => {} },
    {
      name: 'dripping',
      reason: 'timeout',
      handler: (_req, res) => {
        ok(res);
        const drip = setInterval(() => res.write('#'), 50);
        res.on('close', () => clearInterval(drip));
      },
    },
    {
      name: 'resetting',
      reason: 'reset',
      handler: (_req, res) => {
        ok(res, { 'content-length': '100000' });
        res.write(healthyBody('resetting'));
        setTimeout(() => res.socket?.destroy(), 20);
      },
    },
    {
      name: 'failing',
      reason: 'status',
      handler: (_req, res) => {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end('internal error\n');
      },
    },
    {
      name: 'gzip-bomb',
      reason: 'limit',
      handler: (_req, res) => {
        ok(res, { 'content-encoding': 'gzip' });
        res.end(bomb);
      },
    },
    {
      name: 'fifty-mb',
      reason: 'limit',
      handler: (_req, res) => {
        ok(res);
        writeChunks(res, line, 50).then(() => res.end());
      },
    },
    {
      name: 'garbage',
      reason: 'parse',
      handler: (_req, res) => {
        ok(res);
        res.end(garbage(64 * 1024));
      },
    },
    {
      name: 'invalid-utf8',
      reason: 'parse',
      handler: (_req, res) => {
        ok(res);
        res.end(invalidUtf8);
      },
    },
    {
      name: 'long-line',
      reason: 'limit',
      handler: (_req, res) => {
        ok(res);
        res.write('# TYPE long gauge\nlong{value="');
        // 160 x 64 KiB: one line of 10 MiB.
        writeChunks(res, x, 160).then(() => res.end('"} 1\n'));
      },
    },
    {
      name: 'corrupt-gzip',
      reason: 'decompress',
      handler: (_req, res) => {
        ok(res, { 'content-encoding': 'gzip' });
        res.end(Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08, 0x00]), garbage(1024)]));
      },
    },
    {
      name: 'too-many-samples',
      reason: 'limit',
      handler: (_req, res) => {
        ok(res);
        res.end(manySeries('many', 2000));
      },
    },
  ];
}

/** A fault's upstream: a server running its handler, or a port nothing listens on. */
export interface FaultUpstream {
  readonly fault: Fault;
  readonly url: string;
  readonly server: FaultServer | undefined;
}

export async function startFaultUpstreams(faults: readonly Fault[]): Promise<FaultUpstream[]> {
  return Promise.all(
    faults.map(async (fault) => {
      if (!fault.handler)
        return { fault, url: `http://127.0.0.1:${await closedPort()}/metrics`, server: undefined };
      const server = await startFaultServer(fault.handler);
      return { fault, url: `${server.url}/metrics`, server };
    }),
  );
}

/** A classic-text body of `series` counter samples named `<app>_requests_total`, one label each. */
export function manySeries(app: string, series: number): Buffer {
  const lines = [`# HELP ${app}_requests_total Requests handled.`, `# TYPE ${app}_requests_total counter`];
  for (let i = 0; i < series; i++) lines.push(`${app}_requests_total{route="/api/v1/resource_${i}"} ${i}`);
  return Buffer.from(`${lines.join('\n')}\n`);
}
