import { readdir } from 'node:fs/promises';
import { Counter, Gauge, type Registry } from './_prom-client';

/**
 * The process metrics dashboards and alerts use, under the names Prometheus client libraries share
 * (process_cpu_seconds_total, process_resident_memory_bytes, …), read when scraped.
 */
export function registerProcessMetrics(registry: Registry): void {
  const registers = [registry];
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
    async collect() {
      // Linux only, as the other client libraries; elsewhere the gauge stays absent.
      const fds = await readdir('/proc/self/fd').catch(() => undefined);
      if (fds) this.set(fds.length - 1);
    },
  });
  const heap = new Gauge({
    name: 'nodejs_heap_size_used_bytes',
    help: 'Process heap size used from Node.js in bytes.',
    registers,
    collect() {
      const memory = process.memoryUsage();
      this.set(memory.heapUsed);
      heapTotal.set(memory.heapTotal);
      external.set(memory.external);
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
