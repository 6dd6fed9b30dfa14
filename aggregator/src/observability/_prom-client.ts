// prom-client's metric classes alone. Its index also loads cluster aggregation, the Pushgateway and
// the default collectors (perf hooks for GC and event-loop lag): ~10 MiB of resident memory in a
// sidecar that needs none of it. Deep requires keep the rest out of the bundle.
import type * as PromClient from 'prom-client';

export const Registry: typeof PromClient.Registry = require('prom-client/lib/registry');
export const Counter: typeof PromClient.Counter = require('prom-client/lib/counter');
export const Gauge: typeof PromClient.Gauge = require('prom-client/lib/gauge');
export const Histogram: typeof PromClient.Histogram = require('prom-client/lib/histogram');

export type Registry = PromClient.Registry;
export type Counter<T extends string = string> = PromClient.Counter<T>;
export type Gauge<T extends string = string> = PromClient.Gauge<T>;
export type Histogram<T extends string = string> = PromClient.Histogram<T>;
