export interface ImportOf {
  specifier: string;
  condition: 'import' | 'require';
}
export interface ModuleGraph {
  files: string[];
  external: { specifier: string; from: string }[];
}
export function importsOf(source: string): ImportOf[];
export function resolveConditions(target: unknown, conditions: string[]): string | undefined;
export function moduleGraph(
  root: string,
  pkg: { imports?: Record<string, unknown> },
  entry: string,
  conditions: string[],
): ModuleGraph;
export function isBuiltin(specifier: string): boolean;
