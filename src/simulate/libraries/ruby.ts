/** The `interval_randomness` the faraday-retry rewrite sets: each wait gains a random 0–50 % of `interval`. */
export const FARADAY_INTERVAL_RANDOMNESS = 0.5;
