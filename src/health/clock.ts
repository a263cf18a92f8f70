import type { HealthClock } from './types.js';

/** Real time; timers do not keep the process alive. */
export const systemClock: HealthClock = {
  now: () => performance.timeOrigin + performance.now(),
  every(ms, fn) {
    const timer = setInterval(fn, ms);
    timer.unref();
    return () => clearInterval(timer);
  },
  after(ms, fn) {
    const timer = setTimeout(fn, ms);
    timer.unref();
    return () => clearTimeout(timer);
  },
};
