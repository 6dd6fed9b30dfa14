import { pbkdf2 } from 'node:crypto';
import { closeSync, openSync, readdirSync } from 'node:fs';
import { SelfMetrics } from '../src/observability/self-metrics';

const PROCESS_METRICS = /^(process|nodejs)_/;

/** The value of the unlabelled sample `name` in classic text, or undefined when it is absent. */
function sampleValue(body: Buffer, name: string): number | undefined {
  const line = body
    .toString('utf8')
    .split('\n')
    .find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

describe('SelfMetrics process metrics', () => {
  it('declares them under the names, types and help Prometheus client libraries share', async () => {
    const declared = (await new SelfMetrics(['web'], '0.0.0').registry.getMetricsAsJSON())
      .filter((m) => PROCESS_METRICS.test(m.name))
      .map((m) => `${m.name} ${m.type}: ${m.help}`);
    expect(declared).toEqual([
      'process_cpu_user_seconds_total counter: User CPU time spent in seconds.',
      'process_cpu_system_seconds_total counter: System CPU time spent in seconds.',
      'process_cpu_seconds_total counter: Total user and system CPU time spent in seconds.',
      'process_resident_memory_bytes gauge: Resident memory size in bytes.',
      'process_start_time_seconds gauge: Start time of the process since unix epoch in seconds.',
      'process_open_fds gauge: Number of open file descriptors.',
      'nodejs_heap_size_used_bytes gauge: Process heap size used from Node.js in bytes.',
      'nodejs_heap_size_total_bytes gauge: Process heap size from Node.js in bytes.',
      'nodejs_external_memory_bytes gauge: Node.js external memory size in bytes.',
    ]);
  });

  it('counts the open file descriptors when scraped, following opens and closes', async () => {
    const metrics = new SelfMetrics(['web'], '0.0.0');
    const before = sampleValue(await metrics.render(), 'process_open_fds');
    // The listing holds one descriptor of its own while it reads.
    expect(before).toBe(readdirSync('/proc/self/fd').length - 1);
    const opened = Array.from({ length: 8 }, () => openSync('/dev/null', 'r'));
    try {
      expect(sampleValue(await metrics.render(), 'process_open_fds')).toBe((before ?? 0) + 8);
    } finally {
      for (const fd of opened) closeSync(fd);
    }
    expect(sampleValue(await metrics.render(), 'process_open_fds')).toBe(before);
  });

  it('renders without waiting for a busy libuv threadpool (zlib, DNS and fs work queue there)', async () => {
    const metrics = new SelfMetrics(['web'], '0.0.0');
    await metrics.render();
    const events: string[] = [];
    // Twice as many ~100 ms jobs as pool threads: anything else queued there waits for a batch.
    const poolSize = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
    const jobs = Array.from(
      { length: poolSize * 2 },
      () =>
        new Promise<void>((resolve, reject) =>
          pbkdf2('secret', 'salt', 200_000, 32, 'sha256', (error) => {
            events.push('pool job');
            if (error) reject(error);
            else resolve();
          }),
        ),
    );
    const body = await metrics.render();
    events.push('render');
    await Promise.all(jobs);
    expect(events[0]).toBe('render');
    expect(sampleValue(body, 'process_open_fds')).toBeGreaterThan(0);
  });

  it('reads the heap figures from V8 when scraped', async () => {
    const body = await new SelfMetrics(['web'], '0.0.0').render();
    const used = sampleValue(body, 'nodejs_heap_size_used_bytes') ?? Number.NaN;
    const total = sampleValue(body, 'nodejs_heap_size_total_bytes') ?? Number.NaN;
    const { heapTotal } = process.memoryUsage();
    expect(used).toBeGreaterThan(0);
    expect(used).toBeLessThanOrEqual(total);
    // The heap may grow or shrink between the two reads, never by a tenth.
    expect(Math.abs(total - heapTotal) / heapTotal).toBeLessThan(0.1);
    expect(sampleValue(body, 'nodejs_external_memory_bytes')).toBeGreaterThan(0);
    expect(sampleValue(body, 'process_resident_memory_bytes')).toBeGreaterThan(total);
  });
});
