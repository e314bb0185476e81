export * from './audit';
export * from './errors';
export * from './replicas';
export * from './types';
