import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { UPSTREAM_ACCEPT } from '../src/exposition/format';
import { ScrapeError, type ScrapeTarget, UpstreamScraper } from '../src/scrape';
import {
  closedPort,
  type FaultHandler,
  type FaultServer,
  startFaultServer,
  writeRepeatedly,
} from './support/fault-server';

const MiB = 1024 * 1024;
const BODY = '# TYPE up gauge\nup 1\n';
const OPENMETRICS = 'application/openmetrics-text; version=1.0.0; charset=utf-8';

/** Generous bound for "returns promptly, does not hang": never a speed assertion. */
const NO_HANG_MS = 5000;

const servers: FaultServer[] = [];
const scrapers: UpstreamScraper[] = [];
let tmp: string;

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'scrape-test-'));
});

afterEach(async () => {
  await Promise.all(scrapers.splice(0).map((scraper) => scraper.close()));
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function serve(handler: FaultHandler): Promise<FaultServer> {
  const server = await startFaultServer(handler);
  servers.push(server);
  return server;
}

function target(url: string, overrides: Partial<ScrapeTarget> = {}): ScrapeTarget {
  return {
    name: 'worker',
    url,
    timeoutMs: 10_000,
    headers: {},
    limits: { maxBodyBytes: 50 * MiB, maxCompressedBytes: 50 * MiB, maxLineBytes: MiB },
    ...overrides,
  };
}

function scraperFor(...targets: ScrapeTarget[]): UpstreamScraper {
  const scraper = new UpstreamScraper(targets, { userAgent: 'metrics-aggregator/test' });
  scrapers.push(scraper);
  return scraper;
}

const later = (): number => Date.now() + 60_000;

async function scrapeError(promise: Promise<unknown>): Promise<ScrapeError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(ScrapeError);
    return err as ScrapeError;
  }
  throw new Error('expected the scrape to fail');
}

describe('UpstreamScraper', () => {
  describe('success', () => {
    it('returns a plain body and passes the Content-Type through', async () => {
      const server = await serve((_req, res) => {
        res.writeHead(200, { 'content-type': OPENMETRICS });
        res.end(BODY);
      });
      const result = await scraperFor(target(`${server.url}/metrics`)).scrape('worker', later());
      expect(result.body.toString()).toBe(BODY);
      expect(result).toMatchObject({
        upstream: 'worker',
        contentType: OPENMETRICS,
        status: 200,
        compressedBytes: BODY.length,
      });
      expect(result.durationMs).toBeGreaterThanOrEqual(0);
    });

    it('inflates a gzip body and reports the compressed size', async () => {
      const text = BODY.repeat(1000);
      const gzipped = gzipSync(text);
      const server = await serve((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4', 'content-encoding': 'gzip' });
        res.end(gzipped);
      });
      const result = await scraperFor(target(server.url)).scrape('worker', later());
      expect(result.body.toString()).toBe(text);
      expect(result.compressedBytes).toBe(gzipped.length);
      expect(result.contentType).toBe('text/plain; version=0.0.4');
    });

    it('sends Accept, Accept-Encoding, User-Agent, the timeout budget and the configured headers', async () => {
      const server = await serve((_req, res) => res.end(BODY));
      const scraper = scraperFor(
        target(`${server.url}/metrics?x=1`, { timeoutMs: 5000, headers: { 'X-Tenant': 'a' } }),
      );
      await scraper.scrape('worker', later());
      await scraper.scrape('worker', Date.now() + 2000);
      const [first, second] = server.requests;
      expect(first).toMatchObject({
        accept: UPSTREAM_ACCEPT,
        'accept-encoding': 'gzip',
        'user-agent': 'metrics-aggregator/test',
        'x-prometheus-scrape-timeout-seconds': '5',
        'x-tenant': 'a',
      });
      expect(first.authorization).toBeUndefined();
      // The round's deadline is nearer than the upstream's timeout: the budget says so.
      const budget = Number(second['x-prometheus-scrape-timeout-seconds']);
      expect(budget).toBeGreaterThan(1);
      expect(budget).toBeLessThanOrEqual(2);
    });

    it('sends the bearer token read from its file at every scrape', async () => {
      const server = await serve((_req, res) => res.end(BODY));
      const tokenFile = join(tmp, 'token');
      writeFileSync(tokenFile, '  first-token\n');
      const scraper = scraperFor(target(server.url, { bearerTokenFile: tokenFile }));
      await scraper.scrape('worker', later());
      writeFileSync(tokenFile, 'rotated-token\n');
      await scraper.scrape('worker', later());
      expect(server.requests.map((headers) => headers.authorization)).toEqual([
        'Bearer first-token',
        'Bearer rotated-token',
      ]);
    });

    it('reuses one keep-alive connection across scrapes', async () => {
      const server = await serve((_req, res) => res.end(BODY));
      const scraper = scraperFor(target(server.url));
      for (let i = 0; i < 5; i++) await scraper.scrape('worker', later());
      expect(server.requests).toHaveLength(5);
      expect(server.connections()).toBe(1);
    });

    it('keeps the connection after a non-2xx response', async () => {
      let calls = 0;
      const server = await serve((_req, res) => {
        res.statusCode = calls++ === 0 ? 503 : 200;
        res.end('busy');
      });
      const scraper = scraperFor(target(server.url));
      expect((await scrapeError(scraper.scrape('worker', later()))).reason).toBe('status');
      await scraper.scrape('worker', later());
      expect(server.connections()).toBe(1);
    });

    it('scrapes each upstream of several independently', async () => {
      const a = await serve((_req, res) => res.end('a 1\n'));
      const b = await serve((_req, res) => res.end('b 1\n'));
      const scraper = scraperFor(target(a.url, { name: 'a' }), target(b.url, { name: 'b' }));
      const [ra, rb] = await Promise.all([scraper.scrape('a', later()), scraper.scrape('b', later())]);
      expect([ra.body.toString(), rb.body.toString()]).toEqual(['a 1\n', 'b 1\n']);
    });

    it('passes binary garbage through untouched', async () => {
      const garbage = randomBytes(256 * 1024);
      const server = await serve((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        res.end(garbage);
      });
      const result = await scraperFor(target(server.url)).scrape('worker', later());
      expect(result.body.equals(garbage)).toBe(true);
      expect(result.contentType).toBe('application/octet-stream');
    });

    it('accepts lines up to the line limit split across chunks', async () => {
      const line = `${'x'.repeat(999)}\n`;
      const server = await serve(async (_req, res) => {
        // 1000-byte lines written in 300-byte pieces: every line straddles a chunk boundary.
        const body = Buffer.from(line.repeat(50));
        for (let i = 0; i < body.length; i += 300) {
          res.write(body.subarray(i, i + 300));
          await new Promise((resolve) => setImmediate(resolve));
        }
        res.end();
      });
      const limits = { maxBodyBytes: MiB, maxCompressedBytes: MiB, maxLineBytes: 999 };
      const result = await scraperFor(target(server.url, { limits })).scrape('worker', later());
      expect(result.body.length).toBe(50_000);
    });
  });

  describe('failures', () => {
    it('fails with refused when nothing listens on the port', async () => {
      const port = await closedPort();
      const scraper = scraperFor(
        target(`http://127.0.0.1:${port}/metrics`),
        target(`http://localhost:${port}/metrics`, { name: 'by-name' }),
      );
      const error = await scrapeError(scraper.scrape('worker', later()));
      expect(error).toMatchObject({ code: 'scrape', reason: 'refused', upstream: 'worker' });
      expect(error.message).toContain(
        `upstream 'worker': connection to http://127.0.0.1:${port}/metrics refused`,
      );
      expect(error.cause).toBeDefined();
      expect((await scrapeError(scraper.scrape('by-name', later()))).reason).toBe('refused');
    });

    it('fails with timeout when the upstream never answers, and does not hang', async () => {
      const server = await serve(() => {});
      const started = Date.now();
      const error = await scrapeError(
        scraperFor(target(server.url, { timeoutMs: 200 })).scrape('worker', later()),
      );
      expect(error.reason).toBe('timeout');
      expect(error.message).toBe("upstream 'worker': no complete response within the 200 ms timeout");
      expect(Date.now() - started).toBeLessThan(NO_HANG_MS);
    });

    it('fails with timeout when the body drips past the timeout', async () => {
      const server = await serve((_req, res) => {
        res.writeHead(200);
        const drip = setInterval(() => res.write('# drip\n'), 20);
        res.on('close', () => clearInterval(drip));
      });
      const started = Date.now();
      const error = await scrapeError(
        scraperFor(target(server.url, { timeoutMs: 300 })).scrape('worker', later()),
      );
      expect(error.reason).toBe('timeout');
      expect(Date.now() - started).toBeLessThan(NO_HANG_MS);
    });

    it('fails with timeout at the round deadline when it comes before the upstream timeout', async () => {
      const server = await serve(() => {});
      const scraper = scraperFor(target(server.url, { timeoutMs: 60_000 }));
      const error = await scrapeError(scraper.scrape('worker', Date.now() + 200));
      expect(error.reason).toBe('timeout');
      expect(error.message).toContain("before the scrape round's deadline");
    });

    it('fails with timeout at its own deadline while queued behind a hanging scrape', async () => {
      const server = await serve(() => {});
      const scraper = scraperFor(target(server.url, { timeoutMs: 30_000 }));
      const controller = new AbortController();
      const hanging = scrapeError(scraper.scrape('worker', later(), controller.signal));
      const started = Date.now();
      const queued = await scrapeError(scraper.scrape('worker', Date.now() + 200));
      expect(queued.reason).toBe('timeout');
      // The hanging scrape still holds the only connection: the queued one did not wait for it.
      expect(Date.now() - started).toBeLessThan(NO_HANG_MS);
      controller.abort();
      expect((await hanging).reason).toBe('aborted');
    });

    it('fails with timeout at once when the deadline has passed, without a request', async () => {
      const server = await serve((_req, res) => res.end(BODY));
      const error = await scrapeError(scraperFor(target(server.url)).scrape('worker', Date.now() - 1));
      expect(error.reason).toBe('timeout');
      expect(server.requests).toHaveLength(0);
    });

    it('fails with aborted when the caller aborts', async () => {
      const server = await serve(() => {});
      const controller = new AbortController();
      const scraper = scraperFor(target(server.url));
      const pending = scraper.scrape('worker', later(), controller.signal);
      setTimeout(() => controller.abort(), 50);
      expect((await scrapeError(pending)).reason).toBe('aborted');
      expect((await scrapeError(scraper.scrape('worker', later(), controller.signal))).reason).toBe(
        'aborted',
      );
    });

    it('fails with reset when the connection closes mid-body', async () => {
      const server = await serve((req, res) => {
        if (req.url === '/sized') res.writeHead(200, { 'content-length': 1000 });
        else res.writeHead(200);
        res.write('# TYPE up gauge\nup');
        setTimeout(() => res.socket?.destroy(), 20);
      });
      const scraper = scraperFor(
        target(`${server.url}/chunked`),
        target(`${server.url}/sized`, { name: 'sized' }),
      );
      const chunked = await scrapeError(scraper.scrape('worker', later()));
      expect(chunked.reason).toBe('reset');
      expect(chunked.message).toContain('connection closed before the response was complete');
      expect((await scrapeError(scraper.scrape('sized', later()))).reason).toBe('reset');
    });

    it('fails with reset when the connection closes before any response', async () => {
      const server = await serve((req) => req.socket.destroy());
      expect((await scrapeError(scraperFor(target(server.url)).scrape('worker', later()))).reason).toBe(
        'reset',
      );
    });

    it('fails with status on a 500, naming the code', async () => {
      const server = await serve((_req, res) => {
        res.statusCode = 500;
        res.end('boom');
      });
      const error = await scrapeError(scraperFor(target(`${server.url}/metrics`)).scrape('worker', later()));
      expect(error).toMatchObject({ reason: 'status', status: 500 });
      expect(error.message).toBe(
        `upstream 'worker': ${server.url}/metrics returned HTTP 500 Internal Server Error`,
      );
    });

    it('fails with status, not timeout, when the error body outlasts the deadline', async () => {
      const server = await serve((_req, res) => {
        res.writeHead(503);
        res.write('overloaded');
      });
      const error = await scrapeError(
        scraperFor(target(server.url, { timeoutMs: 200 })).scrape('worker', later()),
      );
      expect(error).toMatchObject({ reason: 'status', status: 503 });
    });

    it('fails with status on a redirect, which is not followed', async () => {
      const server = await serve((_req, res) => {
        res.writeHead(301, { location: '/other' });
        res.end();
      });
      const error = await scrapeError(scraperFor(target(server.url)).scrape('worker', later()));
      expect(error).toMatchObject({ reason: 'status', status: 301 });
      expect(error.message).toContain('redirects are not followed; point the url at /other');
    });

    it('fails with credentials when the bearer token file is missing or empty', async () => {
      const server = await serve((_req, res) => res.end(BODY));
      const emptyFile = join(tmp, 'empty-token');
      writeFileSync(emptyFile, '\n');
      const scraper = scraperFor(
        target(server.url, { bearerTokenFile: join(tmp, 'missing') }),
        target(server.url, { name: 'empty', bearerTokenFile: emptyFile }),
      );
      const missing = await scrapeError(scraper.scrape('worker', later()));
      expect(missing.reason).toBe('credentials');
      expect(missing.message).toContain(`cannot read bearer token file '${join(tmp, 'missing')}'`);
      expect((await scrapeError(scraper.scrape('empty', later()))).reason).toBe('credentials');
      expect(server.requests).toHaveLength(0);
    });

    it('fails with aborted once closed', async () => {
      const server = await serve((_req, res) => res.end(BODY));
      const scraper = scraperFor(target(server.url));
      await scraper.close();
      expect((await scrapeError(scraper.scrape('worker', later()))).reason).toBe('aborted');
    });
  });

  describe('limits', () => {
    const limits = { maxBodyBytes: MiB, maxCompressedBytes: MiB, maxLineBytes: 64 * 1024 };

    it('fails with limit on a gzip bomb, holding memory far below the inflated size', async () => {
      // 1 GiB of short lines as 1024 concatenated gzip members of 1 MiB each: about 1 MiB on the wire.
      const member = gzipSync(Buffer.alloc(MiB, 'up 1\n'));
      const server = await serve((_req, res) => {
        res.writeHead(200, { 'content-encoding': 'gzip' });
        void writeRepeatedly(res, member, 1024).then(() => res.end());
      });
      const bombLimits = { maxBodyBytes: MiB, maxCompressedBytes: 64 * MiB, maxLineBytes: 2 * MiB };
      const before = process.memoryUsage();
      let peakArrayBuffers = before.arrayBuffers;
      let peakRss = before.rss;
      const sampler = setInterval(() => {
        const now = process.memoryUsage();
        peakArrayBuffers = Math.max(peakArrayBuffers, now.arrayBuffers);
        peakRss = Math.max(peakRss, now.rss);
      }, 1);
      const error = await scrapeError(
        scraperFor(target(server.url, { limits: bombLimits })).scrape('worker', later()),
      );
      clearInterval(sampler);
      expect(error.reason).toBe('limit');
      expect(error.message).toBe("upstream 'worker': response exceeded the 1 MiB body limit");
      expect(peakArrayBuffers - before.arrayBuffers).toBeLessThan(64 * MiB);
      expect(peakRss - before.rss).toBeLessThan(256 * MiB);
    });

    it('fails with limit before reading when Content-Length is over the body limit', async () => {
      const server = await serve((_req, res) => {
        // Announces 100 MiB and sends almost nothing: reading would end in a timeout, not a limit.
        res.writeHead(200, { 'content-length': 100 * MiB });
        res.write('up 1\n');
      });
      const error = await scrapeError(scraperFor(target(server.url, { limits })).scrape('worker', later()));
      expect(error.reason).toBe('limit');
      expect(error.message).toBe(
        `upstream 'worker': Content-Length ${100 * MiB} exceeds the 1 MiB body limit`,
      );
    });

    it('fails with limit before reading when a gzip Content-Length is over the transfer limit', async () => {
      const server = await serve((_req, res) => {
        res.writeHead(200, { 'content-length': 2 * MiB, 'content-encoding': 'gzip' });
        res.write(gzipSync(BODY).subarray(0, 10));
      });
      const error = await scrapeError(scraperFor(target(server.url, { limits })).scrape('worker', later()));
      expect(error.reason).toBe('limit');
      expect(error.message).toContain('exceeds the 1 MiB transfer limit');
    });

    it('fails with limit when a chunked body grows over the body limit', async () => {
      const server = await serve((_req, res) => {
        res.writeHead(200);
        void writeRepeatedly(res, Buffer.from('up 1\n'.repeat(10_000)), 1000).then(() => res.end());
      });
      const error = await scrapeError(scraperFor(target(server.url, { limits })).scrape('worker', later()));
      expect(error.reason).toBe('limit');
      expect(error.message).toBe("upstream 'worker': response exceeded the 1 MiB body limit");
    });

    it('fails with limit when the compressed bytes exceed the transfer limit', async () => {
      const incompressible = gzipSync(randomBytes(2 * MiB));
      const server = await serve((_req, res) => {
        // Chunked, so no Content-Length announces the size: the stream itself must be cut.
        res.writeHead(200, { 'content-encoding': 'gzip' });
        res.write(incompressible);
        res.end();
      });
      const transferLimits = { maxBodyBytes: 50 * MiB, maxCompressedBytes: MiB, maxLineBytes: 50 * MiB };
      const error = await scrapeError(
        scraperFor(target(server.url, { limits: transferLimits })).scrape('worker', later()),
      );
      expect(error.reason).toBe('limit');
      expect(error.message).toBe("upstream 'worker': response exceeded the 1 MiB transfer limit");
    });

    it('fails with limit on a single 10 MB line', async () => {
      const server = await serve((_req, res) => {
        res.writeHead(200);
        void writeRepeatedly(res, Buffer.alloc(100_000, 'x'), 100).then(() => res.end('\n'));
      });
      const lineLimits = { maxBodyBytes: 50 * MiB, maxCompressedBytes: 50 * MiB, maxLineBytes: MiB };
      const error = await scrapeError(
        scraperFor(target(server.url, { limits: lineLimits })).scrape('worker', later()),
      );
      expect(error.reason).toBe('limit');
      expect(error.message).toBe("upstream 'worker': a line exceeded the 1 MiB line limit");
    });

    it('fails with limit on a long line inside one large chunk', async () => {
      const body = `up 1\n${'x'.repeat(5000)}\nup 2\n`;
      const server = await serve((_req, res) => res.end(body));
      const lineLimits = { maxBodyBytes: MiB, maxCompressedBytes: MiB, maxLineBytes: 4096 };
      const error = await scrapeError(
        scraperFor(target(server.url, { limits: lineLimits })).scrape('worker', later()),
      );
      expect(error.reason).toBe('limit');
      expect(error.message).toContain('4 KiB line limit');
    });
  });

  describe('decompression', () => {
    it('fails with decompress on a corrupt gzip body', async () => {
      const server = await serve((_req, res) => {
        res.writeHead(200, { 'content-encoding': 'gzip' });
        res.end('this is not gzip at all');
      });
      const error = await scrapeError(scraperFor(target(server.url)).scrape('worker', later()));
      expect(error.reason).toBe('decompress');
      expect(error.message).toContain('invalid gzip body');
    });

    it('fails with decompress on a truncated gzip body', async () => {
      const gzipped = gzipSync(BODY.repeat(100));
      const server = await serve((_req, res) => {
        res.writeHead(200, { 'content-encoding': 'gzip' });
        res.end(gzipped.subarray(0, gzipped.length - 12));
      });
      expect((await scrapeError(scraperFor(target(server.url)).scrape('worker', later()))).reason).toBe(
        'decompress',
      );
    });

    it('fails with decompress on an encoding it did not ask for', async () => {
      const server = await serve((_req, res) => {
        res.writeHead(200, { 'content-encoding': 'br' });
        res.end('whatever');
      });
      const error = await scrapeError(scraperFor(target(server.url)).scrape('worker', later()));
      expect(error.reason).toBe('decompress');
      expect(error.message).toContain("unsupported Content-Encoding 'br'");
    });

    it('reads an identity Content-Encoding as it is', async () => {
      const server = await serve((_req, res) => {
        res.writeHead(200, { 'content-encoding': 'identity' });
        res.end(BODY);
      });
      expect((await scraperFor(target(server.url)).scrape('worker', later())).body.toString()).toBe(BODY);
    });
  });

  describe('construction', () => {
    it('rejects duplicate upstream names', () => {
      expect(() => new UpstreamScraper([target('http://127.0.0.1:1'), target('http://127.0.0.1:2')])).toThrow(
        "upstream names must be unique, got 'worker' twice",
      );
    });

    it('rejects a URL that is not http or https', () => {
      expect(() => new UpstreamScraper([target('ftp://127.0.0.1/metrics')])).toThrow(
        'url must be http: or https:',
      );
    });

    it('rejects an unknown upstream name with a plain Error', async () => {
      await expect(scraperFor().scrape('nope', later())).rejects.toThrow("unknown upstream 'nope'");
    });
  });
});
