/**
 * The language-neutral vocabulary of "is this wait a retry?" (RULES.md section 1). Language analyzers
 * find the syntax; these decide what names and conditions mean.
 */

/** Error names and codes that signal an overloaded or unreachable service: a strong retry signal. */
export const OVERLOAD_SIGNAL =
  /ProvisionedThroughputExceeded|Throttl(ing|ed)|TooManyRequests|RequestLimitExceeded|SlowDown|ServiceUnavailable|ECONNRESET|ETIMEDOUT|ECONNREFUSED|EAI_AGAIN|EPIPE|\bUNAVAILABLE\b|RESOURCE_EXHAUSTED|\b(429|502|503|504)\b/;

/**
 * A condition that tests for failure: `!res.ok`, `err`, `status >= 500`, `status === 429`, a socket
 * found closed (`ws.readyState === WebSocket.CLOSED`: the connection was lost).
 */
export const ERROR_CONDITION =
  /\breadyState\s*===?\s*[\w$.]*\bCLOSED\b|!\s*[\w$.?]*\bok\b|\.ok\s*===?\s*false|\b(err|error|e|ex|exc|exception|failure|failed|lastError)\b(?!\s*===?\s*(null|undefined))|!\s*[\w$.]*(success|succeeded|ok)\b|(status|statusCode|code)\s*(>=|>)\s*[45]\d\d|(status|statusCode)\s*!==?\s*20\d|(status|statusCode)\s*===?\s*(408|429|5\d\d)|\b(429|502|503|504)\b/;

/** A condition that tests for success, whose exit before a wait makes the wait a failure path. */
export const SUCCESS_CONDITION =
  /(^|[^!\w$])[\w$.?]*\.ok\b(?!\s*===?\s*false)|\b(status|statusCode)\s*===?\s*20\d|(status|statusCode)\s*<\s*(300|400)|^\s*(success|succeeded|ok|res|response)\s*$|\.(success|succeeded)\b|(status|statusCode)\s*!==?\s*(408|429|5\d\d)|^\s*!\s*[\w$.?]*(fail|error|err)\w*\s*$|!\s*\[\s*(408|429|5\d\d)[^\]]*\]\.includes\(/i;

/**
 * A test that a service can be reached (`online`, `is_connected()`, `self.reachable`). Alone it may
 * be polling for a link to come up; a wait on its failing side whose delay is named for retries
 * (`sleep(RETRY_DELAY)`) is the second weak signal that makes that wait a retry.
 */
export const REACHABLE_CONDITION = /^\s*(?:[\w$.]*[._])?(?:is_?)?(online|connected|reachable)(?:\(\))?\s*$/i;

/** A condition about a state value rather than a failure: polling (`status !== 'done'`). */
export const POLLING_CONDITION =
  /===?\s*['"`][A-Za-z_ -]+['"`]|!==?\s*['"`][A-Za-z_ -]+['"`]|\b(done|ready|finished|complete|completed|isDone|isReady|isComplete)\b/;

/** Names of attempt counters and retry machinery: weak signals. */
export const ATTEMPT_NAME =
  /attempt|retr(y|ies|ied)|tries|\btry\b|tryCount|backoff|reconnect|failures|errorCount/i;

/** Names that say the value came from the server (RULES.md "server-directed waits"). */
export const SERVER_HINT_NAME =
  /retry[-_]?after|ratelimit|rate[-_]?limit[-_]?reset|x-ratelimit|resetAt|reset_at|retryAfter|throttle[-_]?reset/i;

/** Event names whose handler reconnecting after a delay is a retry. */
export const ERROR_EVENT =
  /^(error|close|end|disconnect|disconnected|exit|timeout|failed|connect_error|reconnect_failed)$/;

/** Names of callables that restart the work (a setTimeout callback calling one is a re-invocation). */
export const RESTART_NAME =
  /^(re)?connect|^retry|^reconnect|^restart|^start|^init|^open|^subscribe|^resubscribe|^attempt|^run|^poll|^send|^fetch|^request|^consume|^listen|^login|^setup|Reconnect|Retry(?!After)|Restart/;

/**
 * Methods named for pausing or backing off between attempts (`backoff.Delay()`, `pause.WaitAsync()`,
 * `retrier.Backoff()`): a call of one on an object, from a retry, is that retry's wait.
 */
export const PAUSE_METHOD =
  /^(Delay|Wait|Sleep|Pause|Backoff|BackOff)|(Delay|Backoff|BackOff|Pause|Sleep)(Async)?$/;

/**
 * Calls that (re)establish a connection (`connect()`, `sessionConnector { }`, `tryReconnect()`,
 * `_connect()`), not ones that check, use or drop one (`isConnected`, `connection.send`, `disconnect`): a loop that makes one in a `try`,
 * lets its failure fall through and then waits is a reconnect loop, and the wait is between attempts.
 */
export const CONNECT_CALL =
  /^_*(re|Re)?[cC]onnect(?!ed|ion|ivity|ing)|[a-z0-9](Rec|C)onnect(?!ed|ion|ivity|ing)|_(re)?connect(?!ed|ion|ivity|ing)/;

/**
 * Callbacks a connection calls when it is lost or cannot be made (EventMachine `unbind`, Twisted
 * `clientConnectionLost`, paho `on_disconnect`, asyncio `connection_lost`): a reconnect scheduled
 * there runs after a failure.
 */
export const FAILURE_CALLBACK =
  /^_*(on_?|handle_?)?(error|close|closed|disconnect|disconnected|connection_?lost|connection_?failed|connect_?failed|connect_?error|unbind|client_?connection_?(lost|failed)|socket_?error)$/i;

/**
 * Exceptions that mean "no data yet", not a failure: an empty queue read without blocking, a
 * non-blocking socket with nothing to read. Waiting after one and reading again is polling.
 */
export const NO_DATA_SIGNAL =
  /(^|[^\w])(queue\.|asyncio\.|Queue::)?(Empty|QueueEmpty|WouldBlock|BlockingIOError|WaitReadable|EAGAINWaitReadable|EWOULDBLOCKWaitReadable|ThreadError)\b/;

/** Names of retries themselves; `attempt` alone is left out, since polling loops count attempts too. */
const RETRY_WORD = /retr(y|ies)|tries|reconnect/i;

/**
 * `attempt <= @max_retries`, `MAX_TRIES > tries`: an attempt counter held under a limit, with the
 * counter or the limit named for retries — the two weak signals of RULES.md section 1. A wait this
 * guards inside a loop runs between attempts, though nothing was rescued (the failure is a result).
 */
export function isRetryLimit(condition: string, counters: ReadonlySet<string>): boolean {
  const compared = /^\s*([@$\w.]+)\s*(<=?|>=?)\s*([@$\w.:]+)(?:\s*[-+]\s*\d+)?\s*$/.exec(condition);
  if (!compared) return false;
  const [, left, op, right] = compared as unknown as [string, string, string, string];
  const [counter, limit] = op.startsWith('<') ? [left, right] : [right, left];
  return counter !== limit && counters.has(counter) && RETRY_WORD.test(`${counter} ${limit}`);
}

/**
 * Calls that hold a connection open until it drops (`ws.run_forever()`, `client.loop_forever()`,
 * `server.serve_forever()`), and the names of connect routines that an event loop runs to their end
 * (`trio.run(conn.connect)`): a loop that pauses after one returns, then opens the next, reconnects.
 */
/**
 * A single negated test as the test it negates (`code != 503` → `code == 503`, `status not in
 * RETRYABLE` → `status in RETRYABLE`, `not is_retryable(e)` → `is_retryable(e)`), or null: a compound
 * condition's negation is not one case. The `else` of a negated failure test is the failure.
 */
export function turnedRound(condition: string): string | null {
  const text = condition.trim();
  if (/&&|\|\||\b(and|or)\b/.test(text)) return null;
  if (/^not\s+\(?/.test(text)) return text.replace(/^not\s+/, '');
  if ((text.match(/\bnot in\b/g) ?? []).length === 1) return text.replace(/\bnot in\b/, 'in');
  if ((text.match(/!=/g) ?? []).length === 1) return text.replace('!=', '==');
  return null;
}

export const RUNS_UNTIL_DROPPED = /^(run_forever|loop_forever|serve_forever|run_until_disconnected)$/;
export const CONNECT_ROUTINE = /^_*(re)?connect$/i;

/** Names that promise jitter (`with_jitter`, `jitteredSleep`, `addJitter`): a helper's body must keep it. */
export const JITTER_NAME = /jitter/i;

/** Callees that only write a message (`print`, `puts`, `logger.warning`, `@logger.warn`, `self.log.info`). */
export const LOGGING_CALL =
  /^(print|println|puts|warn)$|(^|[.@])(log|logger|logging|_log|_logger|Log|LOG|LOGGER)\.\w+$/;
