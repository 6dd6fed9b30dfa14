export * from './decoded-sample';
export * from './family';
export * from './format';
export * from './label';
export * from './merge';
export * from './parse';
export * from './parse-error';
