import { describe, expect, it } from 'vitest';
import {
  captures,
  loadLanguage,
  syntaxErrorCount,
  withTree,
} from '../../src/analysis/languages/tree-sitter/runtime.js';
import type { Node } from '../../src/analysis/languages/tree-sitter/runtime.js';

/**
 * The Kotlin grammar (`@tree-sitter-grammars/tree-sitter-kotlin`, pinned): it loads in the runtime's
 * engine, parses representative retry code without ERROR or MISSING nodes, and has the node types and
 * fields that the Kotlin front end relies on. A grammar upgrade that renames or reshapes them fails
 * here first.
 */

const CLIENT = `package com.example.net

import java.io.IOException
import kotlinx.coroutines.delay
import kotlinx.coroutines.flow.retryWhen

private const val RETRY_DELAY = 2_000L

class Client(private val retryDelayMs: Long = 5_000, val name: String = "client") {
    companion object {
        private const val MAX_ATTEMPTS = 3
        fun create(): Client = Client()
    }

    suspend fun fetchForever(url: String, timeout: Int = 30) {
        while (true) {
            try {
                val body = http.get("$url/items?timeout=\${timeout * 1000}")
                println("got \${body.length} bytes")
                return
            } catch (e: IOException) {
                logger.warn("retrying in \${retryDelayMs} ms", e)
                delay(RETRY_DELAY)
            } finally {
                attempts++
            }
        }
    }

    fun watch(flow: Flow<Int>) = flow.retryWhen { cause, attempt ->
        delay(1000)
        true
    }

    fun blocking() {
        Thread.sleep(3000L)
        val items = listOf(1, 2, 3).map { it * 2 }.filter { x -> x > 2 }
        repeat(MAX_ATTEMPTS) { i ->
            if (i > 1) return@repeat else println(i)
        }
        scope.launch(Dispatchers.IO) {
            delay(retryDelayMs)
        }
        val r = if (items.isEmpty()) 0 else items.size
        for (x in items) {
            println(x)
        }
        do {
            n--
        } while (n > 0)
        when (r) {
            0 -> println("none")
            else -> println("some")
        }
    }
}
`;

/** Named descendants of `root` (itself included) in document order. */
function named(root: Node): Node[] {
  const out: Node[] = [];
  const stack: Node[] = [root];
  while (stack.length > 0) {
    const node = stack.pop()!;
    out.push(node);
    const children = node.namedChildren.filter((c): c is Node => c !== null);
    for (let i = children.length - 1; i >= 0; i -= 1) stack.push(children[i]!);
  }
  return out;
}

function ofType(root: Node, type: string): Node[] {
  return named(root).filter((n) => n.type === type);
}

function only(root: Node, type: string, text?: string): Node {
  const found = ofType(root, type).filter((n) => text === undefined || n.text.startsWith(text));
  expect(found.length, `${type} ${text ?? ''}`).toBeGreaterThan(0);
  return found[0]!;
}

function types(nodes: readonly (Node | null)[]): string[] {
  return nodes.filter((n): n is Node => n !== null).map((n) => n.type);
}

describe('Kotlin grammar', () => {
  it('loads from its npm package into the shared engine', async () => {
    const language = await loadLanguage('kotlin');
    expect(language.abiVersion).toBe(14);
    expect(language.idForNodeType('call_expression', true)).not.toBeNull();
    expect(language.idForNodeType('annotated_lambda', true)).not.toBeNull();
  });

  it('parses representative retry code without ERROR or MISSING nodes', async () => {
    await withTree('kotlin', CLIENT, (tree) => {
      expect(syntaxErrorCount(tree)).toBe(0);
      expect(tree.rootNode.hasError).toBe(false);
      expect(tree.rootNode.type).toBe('source_file');
      expect(types(tree.rootNode.namedChildren)).toEqual([
        'package_header',
        'import',
        'import',
        'import',
        'property_declaration',
        'class_declaration',
      ]);
    });
  });

  it('a top-level private const val: property_declaration with modifiers, variable_declaration, value', async () => {
    await withTree('kotlin', CLIENT, (tree) => {
      const property = tree.rootNode.namedChildren[4]!;
      expect(types(property.namedChildren)).toEqual(['modifiers', 'variable_declaration', 'number_literal']);
      expect(types(property.namedChildren[0]!.namedChildren)).toEqual([
        'visibility_modifier',
        'property_modifier',
      ]);
      expect(property.namedChildren[0]!.namedChildren[1]!.text).toBe('const');
      expect(property.namedChildren[1]!.namedChildren[0]!.text).toBe('RETRY_DELAY');
      expect(property.namedChildren[2]!.text).toBe('2_000L');
    });
  });

  it('a class with a primary constructor whose parameters have defaults', async () => {
    await withTree('kotlin', CLIENT, (tree) => {
      const klass = only(tree.rootNode, 'class_declaration');
      expect(klass.childForFieldName('name')?.text).toBe('Client');
      const parameters = only(klass, 'class_parameters');
      const [first, second] = parameters.namedChildren;
      expect(first!.type).toBe('class_parameter');
      // Inside class_parameter: modifiers?, identifier, type, then the default (after an anonymous "=").
      expect(types(first!.namedChildren)).toEqual(['modifiers', 'identifier', 'user_type', 'number_literal']);
      expect(first!.namedChildren[1]!.text).toBe('retryDelayMs');
      expect(first!.namedChildren[3]!.text).toBe('5_000');
      expect(first!.children.some((c) => c?.type === 'val')).toBe(true);
      expect(types(second!.namedChildren)).toEqual(['identifier', 'user_type', 'string_literal']);
      const body = klass.namedChildren.find((c) => c?.type === 'class_body')!;
      expect(types(body.namedChildren)).toEqual([
        'companion_object',
        'function_declaration',
        'function_declaration',
        'function_declaration',
      ]);
    });
  });

  it('a companion object holds a class_body of members', async () => {
    await withTree('kotlin', CLIENT, (tree) => {
      const companion = only(tree.rootNode, 'companion_object');
      const body = companion.namedChildren.find((c) => c?.type === 'class_body')!;
      expect(types(body.namedChildren)).toEqual(['property_declaration', 'function_declaration']);
      expect(only(body, 'property_modifier').text).toBe('const');
    });
  });

  it('a suspend fun: its defaults are siblings of the parameters, not children', async () => {
    await withTree('kotlin', CLIENT, (tree) => {
      const fun = ofType(tree.rootNode, 'function_declaration').find(
        (f) => f.childForFieldName('name')?.text === 'fetchForever',
      )!;
      expect(types(fun.namedChildren)).toEqual([
        'modifiers',
        'identifier',
        'function_value_parameters',
        'function_body',
      ]);
      expect(only(fun, 'function_modifier').text).toBe('suspend');
      const parameters = fun.namedChildren[2]!;
      expect(types(parameters.namedChildren)).toEqual(['parameter', 'parameter', 'number_literal']);
      expect(parameters.namedChildren[2]!.text).toBe('30');
      expect(types(fun.namedChildren[3]!.namedChildren)).toEqual(['block']);
    });
  });

  it('while (true) { try { … } catch (e: IOException) { delay(RETRY_DELAY) } finally { … } }', async () => {
    await withTree('kotlin', CLIENT, (tree) => {
      const loop = only(tree.rootNode, 'while_statement');
      // `true` is an identifier in this grammar (no boolean literal node).
      expect(loop.childForFieldName('condition')?.type).toBe('identifier');
      expect(loop.childForFieldName('condition')?.text).toBe('true');
      const body = loop.namedChildren[1]!;
      expect(body.type).toBe('block');
      const attempt = body.namedChildren[0]!;
      expect(attempt.type).toBe('try_expression');
      expect(types(attempt.namedChildren)).toEqual(['block', 'catch_block', 'finally_block']);
      const handler = attempt.namedChildren[1]!;
      expect(types(handler.namedChildren)).toEqual(['identifier', 'user_type', 'block']);
      expect(handler.namedChildren[0]!.text).toBe('e');
      expect(handler.namedChildren[1]!.text).toBe('IOException');
      const wait = handler.namedChildren[2]!.namedChildren[1]!;
      expect(wait.type).toBe('call_expression');
      expect(types(wait.namedChildren)).toEqual(['identifier', 'value_arguments']);
      expect(wait.namedChildren[0]!.text).toBe('delay');
      const argument = wait.namedChildren[1]!.namedChildren[0]!;
      expect(argument.type).toBe('value_argument');
      expect(argument.namedChildren[0]!.text).toBe('RETRY_DELAY');
      expect(types(attempt.namedChildren[0]!.namedChildren)).toEqual([
        'property_declaration',
        'call_expression',
        'return_expression',
      ]);
    });
  });

  it('flow.retryWhen { cause, attempt -> … }: a call whose only argument is an annotated_lambda', async () => {
    await withTree('kotlin', CLIENT, (tree) => {
      const call = only(tree.rootNode, 'call_expression', 'flow.retryWhen');
      expect(types(call.namedChildren)).toEqual(['navigation_expression', 'annotated_lambda']);
      const callee = call.namedChildren[0]!;
      expect(types(callee.namedChildren)).toEqual(['identifier', 'identifier']);
      expect(callee.namedChildren[1]!.text).toBe('retryWhen');
      const lambda = call.namedChildren[1]!.namedChildren[0]!;
      expect(lambda.type).toBe('lambda_literal');
      expect(types(lambda.namedChildren)).toEqual(['lambda_parameters', 'call_expression', 'identifier']);
      expect(lambda.namedChildren[0]!.namedChildren.map((p) => p!.text)).toEqual(['cause', 'attempt']);
      expect(types(lambda.namedChildren[0]!.namedChildren)).toEqual([
        'variable_declaration',
        'variable_declaration',
      ]);
    });
  });

  it('Thread.sleep(3000L): navigation_expression callee, number_literal with its suffix', async () => {
    await withTree('kotlin', CLIENT, (tree) => {
      const call = only(tree.rootNode, 'call_expression', 'Thread.sleep');
      const [callee, args] = call.namedChildren;
      expect(callee!.type).toBe('navigation_expression');
      expect(callee!.children.map((c) => c!.type)).toEqual(['identifier', '.', 'identifier']);
      expect(args!.type).toBe('value_arguments');
      expect(args!.namedChildren[0]!.namedChildren[0]!.type).toBe('number_literal');
      expect(args!.namedChildren[0]!.namedChildren[0]!.text).toBe('3000L');
    });
  });

  it('a call with arguments and a trailing lambda nests: call_expression(call_expression(…), annotated_lambda)', async () => {
    await withTree('kotlin', CLIENT, (tree) => {
      for (const prefix of ['repeat(MAX_ATTEMPTS)', 'scope.launch(Dispatchers.IO)']) {
        const outer = only(tree.rootNode, 'call_expression', prefix);
        expect(types(outer.namedChildren)).toEqual(['call_expression', 'annotated_lambda']);
        const inner = outer.namedChildren[0]!;
        expect(inner.text).toBe(prefix);
        expect(types(inner.namedChildren).at(-1)).toBe('value_arguments');
      }
      const repeat = only(tree.rootNode, 'call_expression', 'repeat(MAX_ATTEMPTS)');
      const lambda = repeat.namedChildren[1]!.namedChildren[0]!;
      expect(types(lambda.namedChildren)).toEqual(['lambda_parameters', 'if_expression']);
      const jump = only(lambda, 'return_expression');
      expect(jump.childForFieldName('label')?.text).toBe('repeat');
    });
  });

  it('chained calls with lambdas, string templates, if/for/do/when', async () => {
    await withTree('kotlin', CLIENT, (tree) => {
      const chain = only(tree.rootNode, 'call_expression', 'listOf(1, 2, 3).map');
      expect(types(chain.namedChildren)).toEqual(['navigation_expression', 'annotated_lambda']);
      expect(chain.namedChildren[0]!.namedChildren[0]!.type).toBe('call_expression');

      const template = only(tree.rootNode, 'string_literal', '"got');
      expect(types(template.namedChildren)).toEqual(['string_content', 'interpolation', 'string_content']);
      expect(template.namedChildren[1]!.namedChildren[0]!.type).toBe('navigation_expression');

      const conditional = only(tree.rootNode, 'if_expression', 'if (items');
      expect(conditional.childForFieldName('condition')?.type).toBe('call_expression');
      expect(types(conditional.namedChildren)).toEqual([
        'call_expression',
        'number_literal',
        'navigation_expression',
      ]);

      const loop = only(tree.rootNode, 'for_statement');
      expect(types(loop.namedChildren)).toEqual(['variable_declaration', 'identifier', 'block']);

      const doLoop = only(tree.rootNode, 'do_while_statement');
      expect(doLoop.childForFieldName('condition')?.type).toBe('binary_expression');

      const branch = only(tree.rootNode, 'when_expression');
      expect(types(branch.namedChildren)).toEqual(['when_subject', 'when_entry', 'when_entry']);
      expect(branch.namedChildren[1]!.childForFieldName('condition')?.text).toBe('0');
    });
  });

  it('known grammar quirks the front end must handle', async () => {
    // `$name` in a one-line string is text, not an interpolation (`${…}` is one).
    await withTree('kotlin', 'val s = "from $url and ${host}"\n', (tree) => {
      const literal = only(tree.rootNode, 'string_literal');
      expect(types(literal.namedChildren)).toEqual([
        'string_content',
        'string_content',
        'string_content',
        'interpolation',
      ]);
      expect(literal.namedChildren[1]!.text).toBe('$');
      expect(literal.namedChildren[2]!.text).toBe('url and ');
    });
    // A multiline string does make `$name` an interpolation.
    await withTree('kotlin', 'val s = """from $url"""\n', (tree) => {
      expect(types(only(tree.rootNode, 'multiline_string_literal').namedChildren)).toEqual([
        'string_content',
        'interpolation',
      ]);
    });
    // break / continue / true / null are identifiers; `break@label` is a labeled_expression.
    await withTree(
      'kotlin',
      'fun f() {\n    outer@ while (x) {\n        break\n        continue@outer\n    }\n}\n',
      (tree) => {
        expect(syntaxErrorCount(tree)).toBe(0);
        const body = only(tree.rootNode, 'while_statement');
        expect(types(body.namedChildren)).toEqual(['label', 'identifier', 'block']);
        expect(types(body.namedChildren[2]!.namedChildren)).toEqual(['identifier', 'labeled_expression']);
        expect(body.namedChildren[2]!.namedChildren[0]!.text).toBe('break');
      },
    );
    // A one-line class body (`{ const val TAG = "d" }`) ends in a hidden, zero-width MISSING
    // separator: the root says hasError, yet no visible node is ERROR or MISSING (syntaxErrorCount is
    // 0) and the declarations are all there. Judge Kotlin files by syntaxErrorCount, not hasError.
    await withTree('kotlin', 'class D {\n    companion object { const val TAG = "d" }\n}\n', (tree) => {
      expect(tree.rootNode.hasError).toBe(true);
      expect(tree.rootNode.toString()).toContain('(MISSING _class_member_semi)');
      expect(syntaxErrorCount(tree)).toBe(0);
      expect(only(tree.rootNode, 'property_declaration').text).toBe('const val TAG = "d"');
    });
  });

  it('queries compile per grammar, so the same query text on Java and Kotlin finds each its own nodes', async () => {
    // Java and Kotlin grammars are ABI 14 and carry no name, and their shared node types have other
    // ids (while_statement is 206 in Java, 177 in Kotlin): a query cached by name alone would hand the
    // Java query to the Kotlin tree and find nothing.
    const query = '[(while_statement) (for_statement)] @loop';
    const java = await withTree('java', 'class A { void f() { while (x) { for (;;) {} } } }', (tree) =>
      captures(tree.rootNode, query).map((c) => c.node.type),
    );
    const kotlin = await withTree(
      'kotlin',
      'fun f() {\n    while (x) {\n        for (i in r) {}\n    }\n}\n',
      (tree) => captures(tree.rootNode, query).map((c) => c.node.type),
    );
    expect(java).toEqual(['while_statement', 'for_statement']);
    expect(kotlin).toEqual(['while_statement', 'for_statement']);
  });
});
