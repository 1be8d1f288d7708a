import { readFileSync } from 'node:fs';
import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import type { ProjectProblem } from './problems.ts';

export type FieldPath = readonly (string | number)[];

/** A YAML file kept with its node positions, so every problem can name its line. */
export interface YamlSource {
  /** As reported (relative to the project). */
  file: string;
  value: unknown;
  problems: ProjectProblem[];
  /** The line of the value (or, with `key`, of the key) at `path`, or of its nearest ancestor that exists. */
  lineAt(path: FieldPath, key?: boolean): number | undefined;
}

export function readYamlSource(path: string, file: string): YamlSource {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    return { file, value: undefined, problems: [{ file, message: `cannot read: ${(error as Error).message}` }], lineAt: () => undefined };
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
  const lineOf = (node: Node | null | undefined) => (node?.range ? lines.linePos(node.range[0]).line : undefined);
  const problems: ProjectProblem[] = doc.errors.map((e) => ({
    file,
    ...(e.linePos ? { line: e.linePos[0].line } : {}),
    message: `YAML syntax: ${e.message.split('\n')[0]!.replace(/:$/, '')}`,
  }));
  const lineAt = (path: FieldPath, key = false) => {
    let node: unknown = doc.contents;
    let line = lineOf(doc.contents);
    for (const [i, segment] of path.entries()) {
      if (isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment));
        if (!pair) return line;
        const last = i === path.length - 1;
        line = (last && key ? lineOf(pair.key as Node) : lineOf(pair.value as Node)) ?? lineOf(pair.key as Node) ?? line;
        node = pair.value;
      } else if (isSeq(node) && typeof segment === 'number') {
        const item = node.items[segment];
        if (!item) return line;
        line = lineOf(item as Node) ?? line;
        node = item;
      } else return line;
    }
    return line;
  };
  return { file, value: problems.length ? undefined : doc.toJS(), problems, lineAt };
}

/** `audience.stages[0]`: a field path as a marketer reads it. */
export const formatPath = (path: FieldPath) =>
  path.reduce<string>((out, segment) => (typeof segment === 'number' ? `${out}[${segment}]` : out ? `${out}.${segment}` : segment), '') || '(top level)';
