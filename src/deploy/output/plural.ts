/**
 * Counted nouns for human output: `plural(1, 'pod')` → "1 pod", `plural(3, 'pod')` → "3 pods",
 * `plural(2, 'replica set', 'replica sets')`; `pluralWord(n, 'its', 'their')` for the word alone.
 */
export function pluralWord(count: number, singular: string, pluralForm = `${singular}s`): string {
  return count === 1 ? singular : pluralForm;
}

export function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${count} ${pluralWord(count, singular, pluralForm)}`;
}
