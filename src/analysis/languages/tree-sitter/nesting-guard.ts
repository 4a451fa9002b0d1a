import { UNKNOWN, type DelayValue } from '../../delay.js';
import { MAX_EXPRESSION_NESTING } from './modules.js';
import type { Node } from './runtime.js';

/**
 * The recursion guard every tree-sitter evaluator shares: a hostile expression nested thousands deep
 * becomes an unknown delay instead of a stack overflow. Evaluations run one chain at a time, so one
 * counter per evaluator suffices.
 */
export abstract class NestingGuardedEvaluator<Env> {
  private nesting = 0;

  async evaluate(node: Node, env: Env): Promise<DelayValue> {
    if (this.nesting >= MAX_EXPRESSION_NESTING) return UNKNOWN('expression nested too deeply');
    this.nesting += 1;
    try {
      return await this.evaluateNode(node, env);
    } finally {
      this.nesting -= 1;
    }
  }

  protected abstract evaluateNode(node: Node, env: Env): Promise<DelayValue>;
}
