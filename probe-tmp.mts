import { PythonAnalyzer } from './src/analysis/languages/python.js';
import { hostOf } from './test/analysis/tree-sitter.rule-table.js';
import { DEFAULT_ANALYSIS_OPTIONS } from './src/analysis/analyzer.js';
import { suggest } from './src/suggest/suggest.js';
import { applyEdits } from './src/suggest/edits.js';
const files: Record<string,string> = {
 'app/settings.py': 'THROTTLE_BACKOFF_SECONDS = 5\n',
 'app/consumer.py': `"""Kinesis consumer."""
import time

import boto3

from .settings import THROTTLE_BACKOFF_SECONDS


def consume(shard_iterator):
    client = boto3.client("kinesis")
    while True:
        try:
            records = client.get_records(ShardIterator=shard_iterator, Limit=100)
        except client.exceptions.ProvisionedThroughputExceededException:
            time.sleep(THROTTLE_BACKOFF_SECONDS)
            continue
        shard_iterator = records["NextShardIterator"]
`};
const a = new PythonAnalyzer();
const [f] = await a.analyze({path:'app/consumer.py', text: files['app/consumer.py']!}, hostOf(files), DEFAULT_ANALYSIS_OPTIONS);
for (const strategy of ['full','equal','decorrelated','golden'] as const) {
const s = suggest(f!, files['app/consumer.py']!, { strategy, capMs: 30000, goldenIndexEnv: strategy === 'golden' ? 'POD_INDEX' : undefined });
console.log(strategy, s.valid, s.valid ? '' : s.invalidReason, s.description, s.extra, JSON.stringify(s.primary));
}
const s = suggest(f!, files['app/consumer.py']!, { strategy: 'full', capMs: 30000 });
console.log(applyEdits(files['app/consumer.py']!, s.edits));
