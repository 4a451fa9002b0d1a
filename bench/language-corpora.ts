/**
 * Generated corpora of the tree-sitter languages for `npm run bench`: per language, templates that
 * follow bench/corpus.ts — mostly ordinary code, with fixed, jittered and unjittered retries and
 * polling loops at known rates, and a constant shared between files — written to disk with many
 * findings (the template mix as it is: one unit in eight breaks a rule) or few (one in 200).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { GrammarName } from '../src/analysis/languages/tree-sitter/runtime.js';

export type Density = 'few' | 'many';

/** How often each template occurs, as in bench/corpus.ts: retries are rare, ordinary code is most of it. */
const WEIGHTS = [1, 6, 1, 5, 2, 1];

/** Per language: a fixed retry, a data module, a jittered retry, a handler, a poll, an unjittered backoff. */
const PYTHON: ((i: number) => string)[] = [
  (i) => `def fetch_${i}(client, key):
    for attempt in range(5):
        try:
            return client.get(f"/items/{key}")
        except ConnectionError:
            time.sleep(RETRY_DELAY)
`,
  (i) => `class Customer${i}:
    def __init__(self, name, email, tags=None):
        self.name = name.strip()
        self.email = email.lower()
        self.tags = sorted(set(tags or []))

    def score(self):
        total = sum(len(tag) * 3 for tag in self.tags)
        return total + 10 if self.email.endswith(".com") else total

    def to_dict(self):
        return {"name": self.name, "email": self.email, "tags": list(self.tags)}
`,
  (i) => `def publish_${i}(broker, topic, payload):
    attempt = 0
    while True:
        try:
            return broker.send(topic, json.dumps(payload))
        except BrokerError:
            attempt += 1
            time.sleep(random.uniform(0, min(30, 0.1 * 2 ** attempt)))
`,
  (i) => `def handle_${i}(request):
    body = request.json() or {}
    items = [item for item in body.get("items", []) if item.get("quantity", 0) > 0]
    if not items:
        return {"status": 400, "error": "no items"}
    total = sum(item["price"] * item["quantity"] for item in items)
    return {"status": 200, "total": round(total, 2), "count": len(items)}
`,
  (i) => `def wait_for_${i}(job):
    while job.refresh().status != "done":
        time.sleep(5)
    return job.result
`,
  (i) => `def sync_${i}(remote):
    delay = 0.5
    while True:
        try:
            return remote.sync()
        except TimeoutError:
            time.sleep(delay)
            delay = min(delay * 2, 30)
`,
];

const GO: ((i: number) => string)[] = [
  (i) => `func Fetch${i}(key string) ([]byte, error) {
	for attempt := 0; attempt < 5; attempt++ {
		body, err := get("/items/" + key)
		if err != nil {
			time.Sleep(retryDelay)
			continue
		}
		return body, nil
	}
	return nil, errGaveUp
}
`,
  (i) => `type Customer${i} struct {
	Name  string
	Email string
	Tags  []string
}

func (c Customer${i}) Score() int {
	total := 0
	for _, tag := range c.Tags {
		total += len(tag) * 3
	}
	if strings.HasSuffix(c.Email, ".com") {
		return total + 10
	}
	return total
}
`,
  (i) => `func Publish${i}(topic string, payload []byte) error {
	for attempt := 0; ; attempt++ {
		if err := send(topic, payload); err != nil {
			time.Sleep(time.Duration(rand.Int63n(int64(min(30*time.Second, 100*time.Millisecond<<attempt)))))
			continue
		}
		return nil
	}
}
`,
  (i) => `func Handle${i}(items []Item) (int, error) {
	if len(items) == 0 {
		return 0, errNoItems
	}
	total := 0
	for _, item := range items {
		if item.Quantity > 0 {
			total += item.Price * item.Quantity
		}
	}
	return total, nil
}
`,
  (i) => `func WaitFor${i}(job Job) error {
	for {
		status, err := job.Status()
		if err != nil {
			return err
		}
		if status == "done" {
			return nil
		}
		time.Sleep(5 * time.Second)
	}
}
`,
  (i) => `func Sync${i}() error {
	delay := 500 * time.Millisecond
	for {
		if err := syncOnce(); err != nil {
			time.Sleep(delay)
			delay *= 2
			continue
		}
		return nil
	}
}
`,
];

const RUBY: ((i: number) => string)[] = [
  (i) => `def fetch_${i}(key)
  attempts = 0
  begin
    attempts += 1
    http.get("/items/#{key}")
  rescue Net::ReadTimeout
    sleep RETRY_DELAY
    retry if attempts < 5
  end
end
`,
  (i) => `class Customer${i}
  attr_reader :name, :email, :tags

  def initialize(name, email, tags = [])
    @name = name.strip
    @email = email.downcase
    @tags = tags.uniq.sort
  end

  def score
    total = tags.sum { |tag| tag.length * 3 }
    email.end_with?(".com") ? total + 10 : total
  end
end
`,
  (i) => `def publish_${i}(topic, payload)
  attempts = 0
  begin
    attempts += 1
    Broker.send(topic, payload.to_json)
  rescue Broker::Error
    sleep rand * [30, 0.1 * 2**attempts].min
    retry
  end
end
`,
  (i) => `def handle_${i}(request)
  items = (request.params[:items] || []).select { |item| item[:quantity].to_i > 0 }
  return { status: 400, error: "no items" } if items.empty?
  total = items.sum { |item| item[:price] * item[:quantity] }
  { status: 200, total: total.round(2), count: items.size }
end
`,
  (i) => `def wait_for_${i}(job)
  until job.reload.done?
    sleep 5
  end
  job.result
end
`,
  (i) => `def sync_${i}(remote)
  delay = 0.5
  loop do
    begin
      return remote.sync!
    rescue Timeout::Error
      sleep delay
      delay *= 2
    end
  end
end
`,
];

const JAVA: ((i: number) => string)[] = [
  (i) => `class Fetcher${i} {
  String fetch${i}(String key) throws Exception {
    for (int attempt = 0; attempt < 5; attempt++) {
      try {
        return http.get("/items/" + key);
      } catch (IOException e) {
        Thread.sleep(Settings.RETRY_DELAY);
      }
    }
    throw new IllegalStateException("gave up");
  }
}
`,
  (i) => `class Customer${i} {
  private final String name;
  private final String email;
  private final List<String> tags;

  Customer${i}(String name, String email, List<String> tags) {
    this.name = name.trim();
    this.email = email.toLowerCase();
    this.tags = new ArrayList<>(new TreeSet<>(tags));
  }

  int score${i}() {
    int total = 0;
    for (String tag : tags) total += tag.length() * 3;
    return email.endsWith(".com") ? total + 10 : total;
  }
}
`,
  (i) => `class Publisher${i} {
  void publish${i}(String topic, byte[] payload) throws Exception {
    int attempt = 0;
    while (true) {
      try {
        broker.send(topic, payload);
        return;
      } catch (BrokerException e) {
        attempt++;
        Thread.sleep(ThreadLocalRandom.current().nextLong(Math.min(30_000L, 100L << attempt)));
      }
    }
  }
}
`,
  (i) => `class Handler${i} {
  Map<String, Object> handle${i}(List<Item> items) {
    if (items.isEmpty()) return Map.of("status", 400, "error", "no items");
    long total = 0;
    for (Item item : items) {
      if (item.quantity() > 0) total += item.price() * item.quantity();
    }
    return Map.of("status", 200, "total", total, "count", items.size());
  }
}
`,
  (i) => `class Waiter${i} {
  Object waitFor${i}(Job job) throws Exception {
    while (!job.refresh().isDone()) {
      Thread.sleep(5000);
    }
    return job.result();
  }
}
`,
  (i) => `class Syncer${i} {
  void sync${i}(Remote remote) throws Exception {
    long delay = 500;
    while (true) {
      try {
        remote.sync();
        return;
      } catch (TimeoutException e) {
        Thread.sleep(delay);
        delay = Math.min(delay * 2, 30_000);
      }
    }
  }
}
`,
];

const KOTLIN: ((i: number) => string)[] = [
  (i) => `suspend fun fetch${i}(client: HttpClient, key: String): String {
    repeat(5) {
        try {
            return client.get("/items/$key")
        } catch (e: IOException) {
            delay(RETRY_DELAY)
        }
    }
    error("gave up")
}
`,
  (i) => `data class Customer${i}(val name: String, val email: String, val tags: List<String> = emptyList()) {
    fun score(): Int {
        val total = tags.sumOf { it.length * 3 }
        return if (email.endsWith(".com")) total + 10 else total
    }

    fun toMap(): Map<String, Any> = mapOf("name" to name, "email" to email, "tags" to tags)
}
`,
  (i) => `suspend fun publish${i}(broker: Broker, topic: String, payload: String) {
    var attempt = 0
    while (true) {
        try {
            return broker.send(topic, payload)
        } catch (e: BrokerException) {
            attempt++
            delay(Random.nextLong(minOf(30_000L, 100L shl attempt)))
        }
    }
}
`,
  (i) => `fun handle${i}(request: Request): Response {
    val items = request.items.filter { it.quantity > 0 }
    if (items.isEmpty()) return Response(400, "no items")
    val total = items.sumOf { it.price * it.quantity }
    return Response(200, "total=$total count=\${items.size}")
}
`,
  (i) => `suspend fun await${i}(job: Job): Result {
    while (job.refresh().status != "done") {
        delay(5_000)
    }
    return job.result
}
`,
  (i) => `suspend fun sync${i}(remote: Remote) {
    var backoff = 500L
    while (true) {
        try {
            return remote.sync()
        } catch (e: TimeoutException) {
            delay(backoff)
            backoff = minOf(backoff * 2, 30_000L)
        }
    }
}
`,
];

const CSHARP: ((i: number) => string)[] = [
  (i) => `public class Fetcher${i}
{
    public async Task<string> FetchAsync(HttpClient http, string key)
    {
        for (var attempt = 0; attempt < 5; attempt++)
        {
            try
            {
                return await http.GetStringAsync("/items/" + key);
            }
            catch (HttpRequestException)
            {
                await Task.Delay(Settings.RetryDelayMs);
            }
        }
        throw new InvalidOperationException("gave up");
    }
}
`,
  (i) => `public class Customer${i}
{
    public Customer${i}(string name, string email, IEnumerable<string> tags)
    {
        Name = name.Trim();
        Email = email.ToLowerInvariant();
        Tags = tags.Distinct().OrderBy(t => t).ToList();
    }

    public string Name { get; }
    public string Email { get; }
    public List<string> Tags { get; }

    public int Score()
    {
        var total = Tags.Sum(tag => tag.Length * 3);
        return Email.EndsWith(".com") ? total + 10 : total;
    }
}
`,
  (i) => `public class Publisher${i}
{
    public async Task PublishAsync(IBroker broker, string topic, string payload)
    {
        var attempt = 0;
        while (true)
        {
            try
            {
                await broker.SendAsync(topic, payload);
                return;
            }
            catch (BrokerException)
            {
                attempt++;
                await Task.Delay(Random.Shared.Next(0, Math.Min(30000, 100 * (1 << attempt))));
            }
        }
    }
}
`,
  (i) => `public static class Handler${i}
{
    public static object Handle(IReadOnlyList<Item> items)
    {
        var chosen = items.Where(item => item.Quantity > 0).ToList();
        if (chosen.Count == 0) return new { Status = 400, Error = "no items" };
        var total = chosen.Sum(item => item.Price * item.Quantity);
        return new { Status = 200, Total = Math.Round(total, 2), Count = chosen.Count };
    }
}
`,
  (i) => `public class Waiter${i}
{
    public string WaitFor(Job job)
    {
        while (job.Refresh().Status != "done")
        {
            Thread.Sleep(5000);
        }
        return job.Result;
    }
}
`,
  (i) => `public class Syncer${i}
{
    public void Sync(IRemote remote)
    {
        var delay = 500;
        while (true)
        {
            try
            {
                remote.Sync();
                return;
            }
            catch (TimeoutException)
            {
                Thread.Sleep(delay);
                delay = Math.Min(delay * 2, 30000);
            }
        }
    }
}
`,
];

const RUST: ((i: number) => string)[] = [
  (i) => `pub fn fetch_${i}(client: &Client, key: &str) -> Result<Vec<u8>, Error> {
    for attempt in 0..5 {
        match client.get(key) {
            Ok(body) => return Ok(body),
            Err(_) => std::thread::sleep(RETRY_DELAY),
        }
    }
    Err(Error::GaveUp)
}
`,
  (i) => `pub struct Customer${i} {
    name: String,
    email: String,
    tags: Vec<String>,
}

impl Customer${i} {
    pub fn score(&self) -> usize {
        let total: usize = self.tags.iter().map(|tag| tag.len() * 3).sum();
        if self.email.ends_with(".com") { total + 10 } else { total }
    }
}
`,
  (i) => `pub async fn publish_${i}(broker: &Broker, topic: &str, payload: &[u8]) -> Result<(), Error> {
    let mut attempt = 0u32;
    loop {
        match broker.send(topic, payload).await {
            Ok(()) => return Ok(()),
            Err(_) => {
                attempt += 1;
                let cap = 100u64.saturating_mul(2u64.pow(attempt)).min(30_000);
                tokio::time::sleep(Duration::from_millis(rand::thread_rng().gen_range(0..cap))).await;
            }
        }
    }
}
`,
  (i) => `pub fn handle_${i}(items: &[Item]) -> Result<u64, Error> {
    if items.is_empty() {
        return Err(Error::NoItems);
    }
    let total = items.iter().filter(|item| item.quantity > 0).map(|item| item.price * item.quantity).sum();
    Ok(total)
}
`,
  (i) => `pub fn wait_for_${i}(job: &Job) -> Result<(), Error> {
    while job.status()? != Status::Done {
        std::thread::sleep(Duration::from_secs(5));
    }
    Ok(())
}
`,
  (i) => `pub fn sync_${i}(remote: &Remote) -> Result<(), Error> {
    let mut delay = Duration::from_millis(500);
    loop {
        if let Err(_) = remote.sync() {
            std::thread::sleep(delay);
            delay *= 2;
            continue;
        }
        return Ok(());
    }
}
`,
];

/** Templates per file: a few, so files are a realistic couple of kilobytes. */
const UNITS_PER_FILE = 4;
/** Indexes of the templates that break a rule (the fixed retry and the unjittered backoff). */
const FINDING_TEMPLATES = new Set([0, 5]);
/** With few findings, one unit in this many is the fixed retry, and no other unit breaks a rule. */
const FEW_EVERY = 200;
const ORDINARY_TEMPLATE = 1;

function unitFor(
  templates: ((i: number) => string)[],
  schedule: number[],
  i: number,
  density: Density,
): string {
  const index = schedule[i % schedule.length]!;
  if (density === 'many') return templates[index]!(i);
  if (i % FEW_EVERY === 0) return templates[0]!(i);
  return templates[FINDING_TEMPLATES.has(index) ? ORDINARY_TEMPLATE : index]!(i);
}

interface LanguageCorpus {
  grammar: GrammarName;
  extension: string;
  header: string;
  templates: ((i: number) => string)[];
  shared: [string, string];
  /** Rust modules resolve from the crate's `src`. */
  root?: string;
}

export const LANGUAGE_CORPORA: LanguageCorpus[] = [
  {
    grammar: 'python',
    extension: '.py',
    header: 'import json\nimport random\nimport time\n\nfrom pkg.settings import RETRY_DELAY\n',
    templates: PYTHON,
    shared: ['pkg/settings.py', 'RETRY_DELAY = 5\n'],
  },
  {
    grammar: 'go',
    extension: '.go',
    header:
      'package mod\n\nimport (\n\t"math/rand"\n\t"strings"\n\t"time"\n)\n\nconst retryDelay = 2 * time.Second\n',
    templates: GO,
    shared: ['go.mod', 'module example.com/bench\n'],
  },
  {
    grammar: 'ruby',
    extension: '.rb',
    header: 'RETRY_DELAY = 5\n',
    templates: RUBY,
    shared: ['pkg/settings.rb', 'RETRY_DELAY = 5\n'],
  },
  {
    grammar: 'java',
    extension: '.java',
    header:
      'package pkg;\n\nimport java.io.IOException;\nimport java.util.*;\nimport java.util.concurrent.*;\n',
    templates: JAVA,
    shared: [
      'pkg/Settings.java',
      'package pkg;\n\nfinal class Settings {\n  static final long RETRY_DELAY = 2000;\n}\n',
    ],
  },
  {
    grammar: 'kotlin',
    extension: '.kt',
    header:
      'package pkg\n\nimport kotlin.random.Random\nimport kotlinx.coroutines.delay\n\nprivate const val RETRY_DELAY = 2_000L\n',
    templates: KOTLIN,
    shared: ['pkg/Settings.kt', 'package pkg\n\nconst val SHARED_DELAY = 5_000L\n'],
  },
  {
    grammar: 'csharp',
    extension: '.cs',
    header:
      'using System;\nusing System.Linq;\nusing System.Threading;\nusing System.Threading.Tasks;\n\nnamespace Bench.Mod;\n',
    templates: CSHARP,
    shared: [
      'pkg/Settings.cs',
      'public static class Settings\n{\n    public const int RetryDelayMs = 2000;\n}\n',
    ],
  },
  {
    grammar: 'rust',
    extension: '.rs',
    header: 'use std::time::Duration;\n\nuse crate::settings::RETRY_DELAY;\n',
    templates: RUST,
    shared: ['src/settings.rs', 'pub const RETRY_DELAY: Duration = Duration::from_secs(5);\n'],
    root: 'src',
  },
];

/** Writes `files` files of one language under `dir`, in 20 folders, plus the shared constant's file. */
export function writeLanguageCorpus(
  dir: string,
  corpus: LanguageCorpus,
  files: number,
  density: Density,
): void {
  const schedule = WEIGHTS.flatMap((weight, index) => Array<number>(weight).fill(index));
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  };
  write(corpus.shared[0], corpus.shared[1]);
  for (let f = 0; f < files; f += 1) {
    let text = corpus.header;
    for (let u = 0; u < UNITS_PER_FILE; u += 1)
      text += `\n${unitFor(corpus.templates, schedule, f * UNITS_PER_FILE + u, density)}`;
    write(`${corpus.root ?? 'pkg'}/mod${f % 20}/file${f}${corpus.extension}`, text);
  }
}
