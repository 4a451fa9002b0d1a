/**
 * `work`, or a rejection with `message` once `ms` have passed without an answer. For calls to a
 * service that can go silent (Redis mid-shutdown answers nothing and closes nothing): the caller gets
 * an error it already handles instead of waiting forever.
 */
export async function withDeadline<T>(work: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}
