/**
 * Machine-readable output. JSON: 2-space indentation, keys in the order the result type declares
 * them (results are built deterministically, so the output is stable), `undefined` fields omitted,
 * a trailing newline. YAML: the same data through the `yaml` package (loaded lazily).
 */
export type OutputFormat = 'table' | 'json' | 'yaml';
export const OUTPUT_FORMATS: readonly OutputFormat[] = ['table', 'json', 'yaml'];

export function formatJson(data: unknown): string {
  return `${JSON.stringify(data, null, 2)}\n`;
}

export async function formatYaml(data: unknown): Promise<string> {
  const { stringify } = await import('yaml');
  // Round-trip through JSON so the YAML holds exactly what JSON would (no undefined, Dates as strings).
  return stringify(JSON.parse(JSON.stringify(data ?? null)), { lineWidth: 0 });
}
