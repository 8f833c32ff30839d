/**
 * The one source of "now" for everything time-driven (the scheduler, its rules, the scans moved
 * onto it). Production reads the system clock; tests pass a clock they move forward.
 */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock that stands still until moved: tests advance it instead of sleeping. */
export class ManualClock implements Clock {
  private at: number;
  constructor(start: Date | string) {
    this.at = new Date(start).getTime();
  }
  now(): Date {
    return new Date(this.at);
  }
  set(to: Date | string) {
    this.at = new Date(to).getTime();
  }
  advance(ms: number) {
    this.at += ms;
  }
}
