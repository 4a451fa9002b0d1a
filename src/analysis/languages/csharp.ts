import { newTrail, scopeIn, type FlowEngine } from '../flow/engine.js';
import type { FrontEnd } from '../flow/program.js';
import type { CallSite } from '../flow/waits.js';
import { libraryDraft } from './java/report.js';
import { EngineAnalyzer, type LibraryChecks } from './tree-sitter/engine-analyzer.js';
import type { Draft } from './tree-sitter/findings.js';
import { withTree } from './tree-sitter/runtime.js';
import { extractCSharpFacts, type CsExtraction, type CsFacts } from './csharp/facts.js';
import { csharpHelperSignature } from './csharp/helper-signature.js';
import { findPollyRetries, type ValueOf } from './csharp/polly.js';
import { findSignalRRetryPolicies } from './csharp/signalr.js';
import { isTimeSpan } from './csharp/timespan.js';

/** Cheap gate before parsing: without a wait the language provides or a Polly policy there is nothing to report. */
const MAYBE_RETRY =
  /Task\.Delay|Thread\.Sleep|WaitForSeconds|WaitAndRetry|RetryStrategyOptions|Backoff\.|NextRetryDelay|WithAutomaticReconnect/;

/** Files that may configure Polly or a SignalR reconnect policy. */
const USES_RETRY_LIBRARY =
  /\b(Polly|Microsoft\.Extensions\.Http\.Resilience)\b|\b(Policy|HttpPolicyExtensions)\b|RetryStrategyOptions|NextRetryDelay|WithAutomaticReconnect/;

/**
 * C# for the value-flow engine. Namespaces do not map to folders and `using` binds no single name, so
 * nothing is imported by name: a class is found by its declaration anywhere in the repository.
 */
export const CSHARP_FRONT_END: FrontEnd = {
  extensions: ['.cs'],
  extract: (path, text) =>
    withTree('csharp', text, (tree) => extractCSharpFacts(path, tree.rootNode, false).facts),
  modulePaths: () => [],
  submodule: (module, name) => `${module}.${name}`,
  typesAnywhere: true,
};

export class CSharpAnalyzer extends EngineAnalyzer<CsFacts, CsExtraction> {
  constructor() {
    super({
      language: 'csharp',
      grammar: 'csharp',
      extensions: CSHARP_FRONT_END.extensions,
      frontEnd: () => CSHARP_FRONT_END,
      maybeRetry: MAYBE_RETRY,
      extract: extractCSharpFacts,
      // `lowerAt` holds the tree: only the facts outlive it.
      factsOf: (extraction) => extraction.facts,
      refine: markTimeSpan,
      libraries: libraryDrafts,
      mayUseLibrary: USES_RETRY_LIBRARY,
      jitter: {
        mentionsRandom: /Random|jitter/i,
        isPublic: (_fn, firstLine) => /\bpublic\b/.test(firstLine),
        delayBody: /Math\.(?:Min|Pow)\(|<<|Task\.Delay\(|Thread\.Sleep\(|TimeSpan\.From|backoff/i,
        waits: /Task\.Delay\(|Thread\.Sleep\(|new\s+WaitForSeconds(?:Realtime)?\(/,
        counterParam: /^(n|i|count|retries|retryCount|attemptNumber)$/,
        // Static methods of classes: C# has no top-level functions a caller can name.
        methods: true,
        signature: csharpHelperSignature,
      },
    });
  }
}

/** A `TimeSpan` delay is patched as one (`TimeSpan.FromMilliseconds(…)`), not as a number of milliseconds. */
async function markTimeSpan(draft: Draft, site: CallSite, facts: CsFacts, engine: FlowEngine): Promise<void> {
  if (draft.form.kind !== 'call-argument' || !site.direct) return;
  if (await isTimeSpan(engine, site.direct.delay, scopeIn(facts, site.call.fn))) draft.form.duration = true;
}

/** Polly policies and resilience pipelines, and SignalR client reconnect policies. */
const libraryDrafts: LibraryChecks<CsFacts, CsExtraction> = async ({ root, extraction }, engine, options) => {
  const value = valueReader(engine, extraction);
  const retries = [
    ...(await findPollyRetries(root, value)),
    ...(await findSignalRRetryPolicies(root, value)),
  ];
  return retries.map((retry) => libraryDraft(retry, options));
};

/** How the Polly checks read a value at a node: lowered where it stands, then followed by the engine. */
function valueReader(engine: FlowEngine, extraction: CsExtraction): ValueOf {
  return (node, counters = []) => {
    const { expr, fn, className } = extraction.lowerAt(node);
    return engine.evaluate(
      expr,
      { facts: extraction.facts, fn, className, counters: new Set(counters) },
      newTrail(),
    );
  };
}
