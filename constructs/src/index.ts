export * from './defaults';
export * from './imports/monitoring.coreos.com';
export * from './imports/security.istio.io';
export * from './metrics-aggregated-deployment';
export * from './metrics-aggregator';
export * from './metrics-aggregator-alerts';
export * from './metrics-endpoint';
export * from './scrape-mode';
