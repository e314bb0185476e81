/**
 * `Promise.withResolvers` (ES2024, Node ≥ 22) for Node 20. aws-local-stepfunctions 3.x calls it in every
 * Task state (its timeout race): without it every Task throws a TypeError, which `States.ALL` catches, so
 * a saga silently takes its compensation path. Import this module before aws-local-stepfunctions runs.
 */

interface Resolvers<T> {
  promise: Promise<T>;
  resolve: (value: T | PromiseLike<T>) => void;
  reject: (reason?: unknown) => void;
}

type WithResolvers = <T>() => Resolvers<T>;

/** Installs `Promise.withResolvers` when the runtime lacks it; returns whether it installed it. */
export function installPromiseWithResolvers(): boolean {
  const ctor = Promise as unknown as { withResolvers?: WithResolvers };
  if (typeof ctor.withResolvers === 'function') return false;
  const withResolvers: WithResolvers = <T>() => {
    let resolve!: Resolvers<T>['resolve'];
    let reject!: Resolvers<T>['reject'];
    const promise = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
  Object.defineProperty(Promise, 'withResolvers', {
    value: withResolvers,
    writable: true,
    configurable: true,
    enumerable: false,
  });
  return true;
}

installPromiseWithResolvers();
