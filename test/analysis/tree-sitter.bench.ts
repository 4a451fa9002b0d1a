/**
 * Parse vs analysis throughput of the tree-sitter languages on a generated corpus, in one process:
 *   npx tsx test/analysis/tree-sitter.bench.ts [files-per-language]
 * Each language's corpus mixes retry loops (fixed, jittered, backoff), near misses (polling, pacing)
 * and plain code, with module constants shared between files. The first pass warms the grammars and
 * the JIT; the figures are from a second pass.
 */
import { performance } from 'node:perf_hooks';
import { DEFAULT_ANALYSIS_OPTIONS, type LanguageAnalyzer } from '../../src/analysis/analyzer.js';
import { GoAnalyzer } from '../../src/analysis/languages/go.js';
import { PythonAnalyzer } from '../../src/analysis/languages/python.js';
import { RubyAnalyzer } from '../../src/analysis/languages/ruby.js';
import { withTree, type GrammarName } from '../../src/analysis/languages/tree-sitter/runtime.js';
import { hostOf } from './tree-sitter.rule-table.js';

const FILES = Number(process.argv[2] ?? 400);
/** Units of generated code per file: each is a few functions. */
const UNITS_PER_FILE = 12;

const PYTHON_UNIT = (i: number): string => `
class Client${i}:
    TIMEOUT = ${i % 7} + 1

    def fetch_${i}(self, key):
        for attempt in range(5):
            try:
                return self.http.get(f"/items/{key}")
            except ConnectionError:
                time.sleep(RETRY_DELAY * ${(i % 3) + 1})

    def poll_${i}(self, job):
        while job.status != "done":
            time.sleep(2)
            job.refresh()

    def backoff_${i}(self, op):
        delay = 0.5
        while True:
            try:
                return op()
            except TimeoutError:
                time.sleep(delay + random.random())
                delay = min(delay * 2, 30)


def transform_${i}(rows):
    out = []
    for row in rows:
        if row.get("skip"):
            continue
        out.append({k: v for k, v in row.items() if v is not None})
    return sorted(out, key=lambda r: r.get("id", 0))
`;

const GO_UNIT = (i: number): string => `
func Fetch${i}(key string) ([]byte, error) {
	for attempt := 0; attempt < 5; attempt++ {
		body, err := get("/items/" + key)
		if err != nil {
			time.Sleep(retryDelay * ${(i % 3) + 1})
			continue
		}
		return body, nil
	}
	return nil, errGaveUp
}

func Poll${i}(job Job) error {
	for {
		status, err := job.Status()
		if err != nil {
			return err
		}
		if status == "done" {
			return nil
		}
		time.Sleep(2 * time.Second)
	}
}

func Transform${i}(rows []Row) []Row {
	out := make([]Row, 0, len(rows))
	for _, r := range rows {
		if r.Skip {
			continue
		}
		out = append(out, r)
	}
	sort.Slice(out, func(a, b int) bool { return out[a].ID < out[b].ID })
	return out
}
`;

const RUBY_UNIT = (i: number): string => `
class Client${i}
  TIMEOUT = ${(i % 7) + 1}

  def fetch_${i}(key)
    attempts = 0
    begin
      attempts += 1
      http.get("/items/#{key}")
    rescue Net::ReadTimeout
      sleep RETRY_DELAY * ${(i % 3) + 1}
      retry if attempts < 5
    end
  end

  def poll_${i}(job)
    until job.reload.done?
      sleep 2
    end
  end

  def transform_${i}(rows)
    rows.reject { |r| r[:skip] }.map { |r| r.compact }.sort_by { |r| r[:id] || 0 }
  end
end
`;

interface Corpus {
  grammar: GrammarName;
  analyzer: LanguageAnalyzer;
  files: Record<string, string>;
  paths: string[];
}

function corpus(
  grammar: GrammarName,
  analyzer: LanguageAnalyzer,
  extension: string,
  header: string,
  unit: (i: number) => string,
  shared: [string, string],
): Corpus {
  const files: Record<string, string> = { [shared[0]]: shared[1] };
  const paths: string[] = [];
  for (let f = 0; f < FILES; f += 1) {
    const path = `pkg/mod${f % 20}/file${f}${extension}`;
    let text = header;
    for (let u = 0; u < UNITS_PER_FILE; u += 1) text += unit(f * UNITS_PER_FILE + u);
    files[path] = text;
    paths.push(path);
  }
  return { grammar, analyzer, files, paths };
}

const ONLY = process.argv[3];
const CORPORA: Corpus[] = [
  corpus(
    'python',
    new PythonAnalyzer(),
    '.py',
    'import random\nimport time\n\nfrom pkg.settings import RETRY_DELAY\n',
    PYTHON_UNIT,
    ['pkg/settings.py', 'RETRY_DELAY = 5\n'],
  ),
  corpus(
    'go',
    new GoAnalyzer(),
    '.go',
    'package mod\n\nimport (\n\t"sort"\n\t"time"\n)\n\nconst retryDelay = 2 * time.Second\n',
    GO_UNIT,
    ['go.mod', 'module example.com/bench\n'],
  ),
  corpus('ruby', new RubyAnalyzer(), '.rb', 'RETRY_DELAY = 5\n', RUBY_UNIT, [
    'pkg/settings.rb',
    'RETRY_DELAY = 5\n',
  ]),
];

async function pass(
  c: Corpus,
): Promise<{ bytes: number; parseS: number; analysisS: number; findings: number }> {
  let bytes = 0;
  const parseStart = performance.now();
  for (const path of c.paths) {
    const text = c.files[path]!;
    bytes += text.length;
    await withTree(c.grammar, text, (tree) => tree.rootNode.childCount);
  }
  const parseS = (performance.now() - parseStart) / 1000;
  const host = hostOf(c.files);
  let findings = 0;
  const analysisStart = performance.now();
  for (const path of c.paths)
    findings += (await c.analyzer.analyze({ path, text: c.files[path]! }, host, DEFAULT_ANALYSIS_OPTIONS))
      .length;
  const analysisS = (performance.now() - analysisStart) / 1000;
  return { bytes, parseS, analysisS, findings };
}

for (const c of CORPORA.filter((c) => !ONLY || c.grammar === ONLY)) {
  await pass(c);
  const m = await pass(c);
  const mb = m.bytes / 1024 / 1024;
  console.log(
    `${c.grammar.padEnd(7)} ${FILES} files ${mb.toFixed(1)} MB  parse ${(mb / m.parseS).toFixed(1)} MB/s  analysis ${(mb / m.analysisS).toFixed(1)} MB/s  (analysis/parse ${(m.analysisS / m.parseS).toFixed(2)}x)  findings ${m.findings}`,
  );
}
