export * from './environments';
export * from './defaults';
