/**
 * nock 15 intercepts through @mswjs/interceptors 0.44, which declares Node >= 22 and calls
 * `Promise.withResolvers` (ES2024, Node 22). jitterbot supports Node 20, so the tests add it.
 * Imported first by every GitHub test file.
 */
interface WithResolvers {
  withResolvers?: <T>() => {
    promise: Promise<T>;
    resolve: (value: T) => void;
    reject: (reason?: unknown) => void;
  };
}

const PromiseWith = Promise as unknown as WithResolvers;
PromiseWith.withResolvers ??= <T>() => {
  let resolve!: (value: T) => void;
  let reject!: (reason?: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
};
