/**
 * Every platform's job kind, registered with the queue as this module loads. The platforms' own
 * modules load theirs; this is for code that reads or writes jobs without them (listing dead letters,
 * tests that enqueue directly).
 */
import './github/job-kind.js';
import './gitlab/job-kind.js';
