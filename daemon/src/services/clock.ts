// Time as a dependency, so tests and a wrong Pi clock can be reasoned about.
export interface Clock {
  now(): number;
}
export const systemClock: Clock = { now: () => Date.now() };
