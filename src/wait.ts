/**
 * `promise`'s value, or `undefined` once `ms` have passed first. The timer is cleared when
 * the promise settles first, so a race that is won leaves nothing behind to fire later (a
 * stop of 200 servers used to leave 400 such timers firing while it finished). `ref: false`
 * lets the process exit while the timer is pending.
 */
export function settledWithin<T>(promise: Promise<T>, ms: number, options: { ref?: boolean } = {}): Promise<T | undefined> {
  return new Promise<T | undefined>((resolve, reject) => {
    const timer = setTimeout(() => resolve(undefined), ms);
    if (options.ref === false) timer.unref();
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}
