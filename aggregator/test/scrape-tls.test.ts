import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScrapeError, type ScrapeTarget, UpstreamScraper } from '../src/scrape';
import { type FaultServer, startFaultServer } from './support/fault-server';

// A throwaway CA and a server certificate for worker.internal and localhost (not 127.0.0.1), made with the
// openssl CLI at test time so that no key is committed and nothing expires.
let dir: string;
let caFile: string;
let https: FaultServer;
let http: FaultServer;
const scrapers: UpstreamScraper[] = [];

function openssl(...args: string[]): void {
  try {
    execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  } catch (err) {
    throw new Error(`the https scrape tests need the openssl CLI: openssl ${args.join(' ')} failed: ${err}`);
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'scrape-tls-'));
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-days',
    '2',
    '-subj',
    '/CN=scrape test CA',
  );
  openssl('req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=worker.internal');
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=DNS:worker.internal,DNS:localhost\n');
  openssl(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.crt',
    '-days',
    '2',
    '-extfile',
    'san.ext',
  );
  caFile = join(dir, 'ca.crt');
  const tls = { key: readFileSync(join(dir, 'server.key')), cert: readFileSync(join(dir, 'server.crt')) };
  https = await startFaultServer((_req, res) => res.end('up 1\n'), tls);
  http = await startFaultServer((_req, res) => res.end('up 1\n'));
});

afterEach(async () => {
  await Promise.all(scrapers.splice(0).map((scraper) => scraper.close()));
});

afterAll(async () => {
  await https?.close();
  await http?.close();
  rmSync(dir, { recursive: true, force: true });
});

function scrape(url: string, tls: ScrapeTarget['tls']): Promise<Buffer> {
  const limits = { maxBodyBytes: 1 << 20, maxCompressedBytes: 1 << 20, maxLineBytes: 1 << 20 };
  const scraper = new UpstreamScraper([{ name: 'worker', url, timeoutMs: 5000, headers: {}, tls, limits }]);
  scrapers.push(scraper);
  return scraper.scrape('worker', Date.now() + 60_000).then((result) => result.body);
}

async function scrapeError(promise: Promise<unknown>): Promise<ScrapeError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(ScrapeError);
    return err as ScrapeError;
  }
  throw new Error('expected the scrape to fail');
}

describe('UpstreamScraper over https', () => {
  it('verifies the upstream with the CA from caFile', async () => {
    const body = await scrape(`https://localhost:${https.port}/metrics`, {
      caFile,
      insecureSkipVerify: false,
    });
    expect(body.toString()).toBe('up 1\n');
  });

  it('verifies against serverName instead of the URL host', async () => {
    const tls = { caFile, serverName: 'worker.internal', insecureSkipVerify: false };
    expect((await scrape(`${https.url}/metrics`, tls)).toString()).toBe('up 1\n');
  });

  it('accepts any certificate with insecureSkipVerify', async () => {
    expect((await scrape(`${https.url}/metrics`, { insecureSkipVerify: true })).toString()).toBe('up 1\n');
  });

  it('fails with tls when the certificate is not signed by a trusted CA', async () => {
    const error = await scrapeError(
      scrape(`https://localhost:${https.port}/`, { insecureSkipVerify: false }),
    );
    expect(error.reason).toBe('tls');
    expect(error.message).toContain(`upstream 'worker': TLS with https://localhost:${https.port}/ failed`);
    expect(error.cause).toBeDefined();
  });

  it('fails with tls when the certificate does not name the host', async () => {
    // The certificate names worker.internal and localhost, not 127.0.0.1.
    const error = await scrapeError(scrape(`${https.url}/`, { caFile, insecureSkipVerify: false }));
    expect(error.reason).toBe('tls');
  });

  it('fails with tls when the port speaks plain http', async () => {
    const error = await scrapeError(scrape(`https://127.0.0.1:${http.port}/`, { insecureSkipVerify: true }));
    expect(error.reason).toBe('tls');
  });

  it('fails with credentials when the CA file cannot be read, and retries it at the next scrape', async () => {
    const missing = join(dir, 'late-ca.crt');
    const limits = { maxBodyBytes: 1 << 20, maxCompressedBytes: 1 << 20, maxLineBytes: 1 << 20 };
    const tls = { caFile: missing, insecureSkipVerify: false };
    const url = `https://localhost:${https.port}/`;
    const scraper = new UpstreamScraper([{ name: 'worker', url, timeoutMs: 5000, headers: {}, tls, limits }]);
    scrapers.push(scraper);
    const error = await scrapeError(scraper.scrape('worker', Date.now() + 60_000));
    expect(error.reason).toBe('credentials');
    expect(error.message).toContain(`cannot read CA file '${missing}'`);
    writeFileSync(missing, readFileSync(caFile));
    expect((await scraper.scrape('worker', Date.now() + 60_000)).body.toString()).toBe('up 1\n');
  });
});
