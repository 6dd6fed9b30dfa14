// undici's Pool alone. Its index also loads fetch, WebSocket, caches and mocks: ~20 MiB of resident
// memory a sidecar never uses. Deep requires keep the rest out of the bundle.
import type { Pool as UndiciPool } from 'undici';

const Dispatcher = require('undici/lib/dispatcher/dispatcher');
// What undici's index does to give every dispatcher request(), stream() and the rest.
Object.assign(Dispatcher.prototype, require('undici/lib/api'));

export const Pool: typeof UndiciPool = require('undici/lib/dispatcher/pool');
export type Pool = UndiciPool;
