import { readdirSync, statSync } from 'node:fs';
import { getHeapStatistics } from 'node:v8';
import { Counter, Gauge, type Registry } from './_prom-client';

const FD_DIR = '/proc/self/fd';

/** Lists the fd table; minus one for the descriptor the listing itself holds open. */
function listOpenFds(): number | undefined {
  try {
    return readdirSync(FD_DIR).length - 1;
  } catch {
    return undefined;
  }
}

/** Linux 6.2+ gives the fd count as the size of /proc/self/fd: one stat, no listing. */
function statOpenFds(): number | undefined {
  try {
    return statSync(FD_DIR, { throwIfNoEntry: false })?.size;
  } catch {
    return undefined;
  }
}

/**
 * The cheapest way this kernel counts our open fds, or nothing off Linux. Older kernels report size 0,
 * so the stat is trusted only if it agrees with a listing once at start. Both are synchronous: a scrape
 * that awaited the libuv threadpool for this cost ~10x the stat in latency.
 */
function openFdCounter(): () => number | undefined {
  const listed = listOpenFds();
  if (listed === undefined) return () => undefined;
  return statOpenFds() === listed ? statOpenFds : listOpenFds;
}

/**
 * The process metrics dashboards and alerts use, under the names Prometheus client libraries share
 * (process_cpu_seconds_total, process_resident_memory_bytes, …), read when scraped.
 */
export function registerProcessMetrics(registry: Registry): void {
  const registers = [registry];
  const countOpenFds = openFdCounter();
  let last = process.cpuUsage();
  const user = new Counter({
    name: 'process_cpu_user_seconds_total',
    help: 'User CPU time spent in seconds.',
    registers,
  });
  const system = new Counter({
    name: 'process_cpu_system_seconds_total',
    help: 'System CPU time spent in seconds.',
    registers,
  });
  new Counter({
    name: 'process_cpu_seconds_total',
    help: 'Total user and system CPU time spent in seconds.',
    registers,
    collect() {
      const now = process.cpuUsage();
      const userSeconds = (now.user - last.user) / 1e6;
      const systemSeconds = (now.system - last.system) / 1e6;
      last = now;
      user.inc(userSeconds);
      system.inc(systemSeconds);
      this.inc(userSeconds + systemSeconds);
    },
  });
  new Gauge({
    name: 'process_resident_memory_bytes',
    help: 'Resident memory size in bytes.',
    registers,
    collect() {
      this.set(process.memoryUsage.rss());
    },
  });
  new Gauge({
    name: 'process_start_time_seconds',
    help: 'Start time of the process since unix epoch in seconds.',
    registers,
  }).set(Math.round(Date.now() / 1000 - process.uptime()));
  new Gauge({
    name: 'process_open_fds',
    help: 'Number of open file descriptors.',
    registers,
    collect() {
      // Linux only, as the other client libraries; elsewhere the gauge stays absent.
      const fds = countOpenFds();
      if (fds !== undefined) this.set(fds);
    },
  });
  const heap = new Gauge({
    name: 'nodejs_heap_size_used_bytes',
    help: 'Process heap size used from Node.js in bytes.',
    registers,
    collect() {
      // The figures process.memoryUsage() takes from V8, without the RSS read (a /proc file) it adds.
      const stats = getHeapStatistics();
      this.set(stats.used_heap_size);
      heapTotal.set(stats.total_heap_size);
      external.set(stats.external_memory);
    },
  });
  const heapTotal = new Gauge({
    name: 'nodejs_heap_size_total_bytes',
    help: 'Process heap size from Node.js in bytes.',
    registers,
  });
  const external = new Gauge({
    name: 'nodejs_external_memory_bytes',
    help: 'Node.js external memory size in bytes.',
    registers,
  });
  void heap;
}
