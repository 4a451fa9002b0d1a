import { resolve } from 'node:path';
import { CONFIG_PATHS, parseConfig, type JitterbotConfig } from '../../config.js';
import { DEFAULT_READ_BUDGET, type BoundedRepoReader, type ReadBudget } from '../bounded-reader.js';
import type { DiffLimits } from '../diff.js';
import type { ChangeSet, EarlierComment, ReviewOutcome, ReviewTarget } from '../types.js';
import { headCommit, localChangeSet, wholeTreeChangeSet } from './changeset.js';
import { repositoryRoot } from './git.js';
import { fsRepoReader, gitRepoReader, WORKTREE_REF } from './reader.js';

/**
 * A local checkout as a review target, for the CLI. Three modes:
 * - `baseRef` set: the commits of this branch since it left `baseRef`, read from git at HEAD;
 * - `baseRef` and `includeUncommitted`: the same up to the working tree, read from disk;
 * - no `baseRef`: the whole working tree, every line new (needs no git at all).
 * Nothing is posted anywhere: `publish` keeps the outcome for the CLI to print.
 */
export interface LocalTargetOptions {
  /** Work-tree top directory; `LocalReviewTarget.open` finds it from any directory inside. */
  root: string;
  baseRef?: string;
  includeUncommitted?: boolean;
  budget?: ReadBudget;
  limits?: DiffLimits;
}

export class LocalReviewTarget implements ReviewTarget {
  readonly platform = 'local';
  /** How the review reads the repository at `changeSet().headSha`. */
  readonly reader: BoundedRepoReader;
  /** What the last `publish` received, for the CLI to print or serialise. */
  lastOutcome: ReviewOutcome | null = null;
  /** The directory reviewed (the repository root in diff mode); finding paths are relative to it. */
  readonly root: string;
  private changes: Promise<ChangeSet> | null = null;
  private head: Promise<string> | null = null;

  constructor(private readonly options: LocalTargetOptions) {
    this.root = options.root;
    const budget = options.budget ?? DEFAULT_READ_BUDGET;
    this.reader = this.readsCommits
      ? gitRepoReader(options.root, budget)
      : fsRepoReader(options.root, budget);
  }

  /** Resolves `dir` to its work tree's top directory when a base ref needs git; throws GitError. */
  static async open(options: LocalTargetOptions): Promise<LocalReviewTarget> {
    const root =
      options.baseRef === undefined ? resolve(options.root) : await repositoryRoot(resolve(options.root));
    return new LocalReviewTarget({ ...options, root });
  }

  changeSet(): Promise<ChangeSet> {
    this.changes ??= this.computeChangeSet();
    return this.changes;
  }

  async config(): Promise<{ config: JitterbotConfig; errors: string[] }> {
    let ref: string;
    try {
      ref = await this.headRef();
    } catch (error) {
      return { ...parseConfig(null), errors: [(error as Error).message] };
    }
    for (const path of CONFIG_PATHS.local) {
      const text = await this.reader.read(path, ref);
      if (text !== null) return parseConfig(text, path);
    }
    return parseConfig(null);
  }

  /** Nothing was ever posted, so there is nothing to reconcile with. */
  async earlierComments(): Promise<EarlierComment[]> {
    return [];
  }

  async publish(outcome: ReviewOutcome): Promise<void> {
    this.lastOutcome = outcome;
  }

  private get readsCommits(): boolean {
    return this.options.baseRef !== undefined && !this.options.includeUncommitted;
  }

  private computeChangeSet(): Promise<ChangeSet> {
    const { root, baseRef, includeUncommitted = false, limits, budget = DEFAULT_READ_BUDGET } = this.options;
    if (baseRef === undefined) return wholeTreeChangeSet(this.reader);
    return localChangeSet(root, baseRef, { includeUncommitted, limits, maxFileBytes: budget.maxFileBytes });
  }

  /** The ref every read uses, known without computing the whole diff. */
  private headRef(): Promise<string> {
    if (!this.readsCommits) return Promise.resolve(WORKTREE_REF);
    this.head ??= headCommit(this.options.root);
    return this.head;
  }
}
