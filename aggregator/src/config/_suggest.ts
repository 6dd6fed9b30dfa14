/** ` (did you mean "timeout"?)` when a known word is a likely typo of `word`, else ''. */
export function didYouMean(
  word: string,
  known: readonly string[],
  quote = (s: string) => JSON.stringify(s),
): string {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const candidate of known) {
    // An abbreviation (`ca` for `caFile`) is as likely a slip as a typo.
    if (word.length >= 2 && candidate.toLowerCase().startsWith(word.toLowerCase()))
      return ` (did you mean ${quote(candidate)}?)`;
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best === undefined ? '' : ` (did you mean ${quote(best)}?)`;
}

// Damerau-Levenshtein (optimal string alignment): a swap of two letters, the commonest typo, costs 1.
function editDistance(a: string, b: string): number {
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    rows.push([i]);
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        rows[i].push(j);
        continue;
      }
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d = Math.min(d, rows[i - 2][j - 2] + 1);
      rows[i].push(d);
    }
  }
  return rows[a.length][b.length];
}
