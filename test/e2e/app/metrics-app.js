// A stand-in application container for the end-to-end test, dependency-free so that the aggregator
// image itself runs it (mounted from a ConfigMap): serves a few series on GET /metrics and, on
// POST /stop, closes its listener for good while the process stays alive. The aggregator then sees
// the container's metrics disappear without Kubernetes restarting it.
//
//   node metrics-app.js --name api --port 8080 [--host 127.0.0.1]
//
// Logs `metrics-app <name> listening on <host>:<port>` once it serves (port 0 picks a free port).

const http = require('node:http');

// Classic text exposition format 0.0.4, which every Prometheus and the aggregator read.
const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
const USAGE = 'usage: node metrics-app.js --name <container name> --port <port> [--host <address>]';

function parseArgs(argv) {
  const options = {};
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (!['--name', '--port', '--host'].includes(flag) || value === undefined) {
      throw new Error(`unexpected argument ${JSON.stringify(flag)}\n${USAGE}`);
    }
    options[flag.slice(2)] = value;
  }
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(options.name ?? '')) {
    throw new Error(`--name must be a container name (lowercase alphanumerics and '-')\n${USAGE}`);
  }
  const port = Number(options.port);
  if (options.port === undefined || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`--port must be a port number (0-65535), got ${JSON.stringify(options.port)}\n${USAGE}`);
  }
  return { name: options.name, port, host: options.host };
}

function exposition(name, scrapes) {
  return [
    '# HELP e2e_app_info The application container that serves these series.',
    '# TYPE e2e_app_info gauge',
    `e2e_app_info{app="${name}"} 1`,
    "# HELP e2e_app_scrapes_total Requests to this container's /metrics.",
    '# TYPE e2e_app_scrapes_total counter',
    `e2e_app_scrapes_total{app="${name}"} ${scrapes}`,
    '',
  ].join('\n');
}

function main() {
  let options;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`metrics-app: ${error.message}\n`);
    process.exit(2);
  }
  const { name, port, host } = options;
  let scrapes = 0;

  const server = http.createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path === '/metrics' && (req.method === 'GET' || req.method === 'HEAD')) {
      scrapes += 1;
      res.writeHead(200, { 'Content-Type': CONTENT_TYPE });
      res.end(req.method === 'HEAD' ? undefined : exposition(name, scrapes));
    } else if (path === '/stop' && req.method === 'POST') {
      // Answer first, then drop the listener and every kept-alive connection (the aggregator's
      // included): from now on the port refuses connections.
      res.on('finish', () => {
        server.close();
        server.closeAllConnections();
        console.log(`metrics-app ${name} stopped serving metrics`);
      });
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end('stopped\n');
    } else if (path === '/metrics' || path === '/stop') {
      res.writeHead(405, { 'Content-Type': 'text/plain' });
      res.end('method not allowed\n');
    } else {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('not found\n');
    }
  });
  server.on('error', (error) => {
    process.stderr.write(`metrics-app ${name}: ${error.message}\n`);
    process.exit(1);
  });
  server.listen({ port, host }, () => {
    const address = server.address();
    const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    console.log(`metrics-app ${name} listening on ${shown}:${address.port}`);
  });

  // Keeps the process (and so the container) alive once the listener is closed.
  setInterval(() => {}, 2 ** 30);
  // As a container's PID 1, Node gets no default handler for these: exit promptly on termination.
  for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => process.exit(0));
}

main();
