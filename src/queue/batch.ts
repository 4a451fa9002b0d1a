/**
 * Turns a function of many items into a function of one: calls made while the event loop handles one
 * round of I/O are gathered and sent together when it ends (`setImmediate`), or as soon as `maxItems`
 * are waiting. A burst of webhooks arrives in the same round, so one Redis round trip serves all of
 * them instead of one each — that round trip, not Redis itself, is most of what a webhook costs.
 *
 * `send` answers item by item, in order; when it fails, every call of the batch fails with its error.
 */
export function batched<I, O>(send: (items: I[]) => Promise<O[]>, maxItems = 256): (item: I) => Promise<O> {
  let waiting: { item: I; resolve: (value: O) => void; reject: (error: unknown) => void }[] = [];
  let scheduled = false;

  const flush = (): void => {
    scheduled = false;
    const batch = waiting;
    waiting = [];
    if (batch.length === 0) return;
    const items = batch.map((entry) => entry.item);
    Promise.resolve()
      .then(() => send(items))
      .then((results) => {
        if (results.length !== batch.length)
          throw new Error(`batch of ${batch.length} answered with ${results.length} results`);
        batch.forEach((entry, index) => entry.resolve(results[index]!));
      })
      .catch((error: unknown) => batch.forEach((entry) => entry.reject(error)));
  };

  return (item) =>
    new Promise<O>((resolve, reject) => {
      waiting.push({ item, resolve, reject });
      if (waiting.length >= maxItems) flush();
      else if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    });
}
