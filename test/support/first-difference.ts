/** The first line where a committed file and its regenerated text differ, for a readable failure. */
export function firstDifference(expected: string, actual: string): string {
  const a = expected.split('\n');
  const b = actual.split('\n');
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i])
      return `line ${i + 1}: committed ${JSON.stringify(b[i])}, regenerated ${JSON.stringify(a[i])}`;
  }
  return 'line endings or trailing bytes differ';
}
