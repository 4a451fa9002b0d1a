/**
 * nock 15 intercepts through @mswjs/interceptors 0.44, which declares Node >= 22 and calls
 * `Promise.withResolvers` (ES2024, Node 22). jitterbot supports Node 20, so every test file gets it
 * (vitest.config.ts `setupFiles`).
 */
type Resolvers<T> = { promise: Promise<T>; resolve: (value: T) => void; reject: (reason?: unknown) => void };

const PromiseWithResolvers = Promise as unknown as { withResolvers?: <T>() => Resolvers<T> };
PromiseWithResolvers.withResolvers ??= <T>(): Resolvers<T> => {
  let resolve!: (value: T) => void;
  let reject!: (reason?: unknown) => void;
  const promise = new Promise<T>((ok, fail) => {
    resolve = ok;
    reject = fail;
  });
  return { promise, resolve, reject };
};

export {};
