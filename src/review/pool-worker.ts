/** The entry of a review thread (src/review/pool.ts): one analysis per task, its reads over `port`. */
import type { MessagePort } from 'node:worker_threads';
import type { ReviewOutcome } from '../platforms/types.js';
import { remoteReader } from './channel.js';
import { analyseChange, type ReviewInputs, type ReviewOptions } from './pipeline.js';

/** The review options that are plain data (no logger, analyzers or progress callback). */
export type PortableOptions = Omit<ReviewOptions, 'log' | 'analyzers' | 'onFile'>;

export interface PoolTask {
  inputs: ReviewInputs;
  options: PortableOptions;
  port: MessagePort;
}

export default async function analyseInThread({ inputs, options, port }: PoolTask): Promise<ReviewOutcome> {
  const { reader, log, done } = remoteReader(port);
  try {
    return await analyseChange(inputs, reader, { ...options, log });
  } finally {
    done();
  }
}
