import { minimatch } from 'minimatch';
import type { RepoReader } from './types.js';

/** Per-review limits on what a reader may fetch, so a hostile repository cannot exhaust memory or quota. */
export interface ReadBudget {
  /** Distinct files fetched per review. */
  maxFiles: number;
  /** Total bytes fetched per review. */
  maxBytes: number;
  /** A single file larger than this is treated as absent (generated or binary, never worth analysing). */
  maxFileBytes: number;
  /** Paths returned by one tree listing. */
  maxListed: number;
}

export const DEFAULT_READ_BUDGET: ReadBudget = {
  maxFiles: 2_000,
  maxBytes: 64 * 1024 * 1024,
  maxFileBytes: 1024 * 1024,
  maxListed: 100_000,
};

/** What a platform supplies: raw access with no caching or limits. */
export interface RawRepoAccess {
  /** File bytes at `ref`, or null when absent. May throw on transport errors (treated as absent). */
  fetch(path: string, ref: string): Promise<Uint8Array | string | null>;
  /** All file paths at `ref`. */
  listAll(ref: string): Promise<string[]>;
}

export interface BudgetReport {
  filesRead: number;
  bytesRead: number;
  /** Paths refused because the budget ran out or the file was too large or binary. */
  refused: { path: string; reason: string }[];
}

const textDecoder = new TextDecoder('utf-8', { fatal: false });

/** A NUL byte in the first block is how git itself decides a blob is binary. */
export function looksBinary(bytes: Uint8Array): boolean {
  const probe = bytes.subarray(0, 8000);
  return probe.includes(0);
}

/**
 * Wraps raw platform access in a per-(ref, path) cache and a budget. Concurrent reads of the same file
 * share one fetch.
 */
export class BoundedRepoReader implements RepoReader {
  private readonly files = new Map<string, Promise<string | null>>();
  private readonly listings = new Map<string, Promise<string[]>>();
  private filesRead = 0;
  private bytesRead = 0;
  private readonly refused: { path: string; reason: string }[] = [];

  constructor(
    private readonly raw: RawRepoAccess,
    private readonly budget: ReadBudget = DEFAULT_READ_BUDGET,
  ) {}

  read(path: string, ref: string): Promise<string | null> {
    const key = `${ref}\0${path}`;
    let pending = this.files.get(key);
    if (!pending) {
      pending = this.load(path, ref);
      this.files.set(key, pending);
    }
    return pending;
  }

  async list(ref: string, glob?: string): Promise<string[]> {
    let pending = this.listings.get(ref);
    if (!pending) {
      pending = this.raw.listAll(ref).then((paths) => paths.slice(0, this.budget.maxListed));
      this.listings.set(ref, pending);
    }
    const paths = await pending;
    if (!glob) return paths;
    return paths.filter((path) => minimatch(path, glob, { dot: true }));
  }

  report(): BudgetReport {
    return { filesRead: this.filesRead, bytesRead: this.bytesRead, refused: [...this.refused] };
  }

  private async load(path: string, ref: string): Promise<string | null> {
    if (this.filesRead >= this.budget.maxFiles) return this.refuse(path, 'file budget exhausted');
    if (this.bytesRead >= this.budget.maxBytes) return this.refuse(path, 'byte budget exhausted');
    // Reserved before the fetch so that concurrent reads cannot overrun the budget; given back when
    // the file is not there, because module resolution asks for many candidates that never exist.
    this.filesRead += 1;
    let content: Uint8Array | string | null;
    try {
      content = await this.raw.fetch(path, ref);
    } catch (error) {
      return this.refuse(path, `could not be read: ${(error as Error).message}`);
    }
    if (content === null) {
      this.filesRead -= 1;
      return null;
    }
    const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
    this.bytesRead += bytes.byteLength;
    if (bytes.byteLength > this.budget.maxFileBytes) return this.refuse(path, 'too large');
    if (looksBinary(bytes)) return this.refuse(path, 'binary');
    return typeof content === 'string' ? content : textDecoder.decode(bytes);
  }

  private refuse(path: string, reason: string): null {
    this.refused.push({ path, reason });
    return null;
  }
}
