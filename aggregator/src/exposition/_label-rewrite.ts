// The slow path for a label block the writer cannot copy: decode it, give injected labels their
// place as Prometheus does for target labels, and encode it again. Not API.
import { BACKSLASH, isBlank, isLabelNameChar, QUOTE } from './_bytes';
import { escapeLabelValue, type Label } from './label';

/** The labels of an already validated block buf[s..e), values decoded. */
export function decodeLabels(buf: Buffer, s: number, e: number): Label[] {
  const labels: Label[] = [];
  let i = s;
  while (i < e) {
    while (i < e && !isLabelNameChar(buf[i])) i++;
    if (i >= e) break;
    const nameStart = i;
    while (i < e && isLabelNameChar(buf[i])) i++;
    const name = buf.toString('latin1', nameStart, i);
    while (i < e && (isBlank(buf[i]) || buf[i] === 0x3d)) i++;
    i++; // Opening quote.
    let value = '';
    let chunk = i;
    while (buf[i] !== QUOTE) {
      if (buf[i] === BACKSLASH) {
        const next = buf[i + 1];
        value += buf.toString('utf8', chunk, i);
        if (next === 0x6e || next === BACKSLASH || next === QUOTE) {
          value += next === 0x6e ? '\n' : next === BACKSLASH ? '\\' : '"';
          i += 2;
        } else {
          // Any other escape stays as written: the backslash, then the character (maybe multi-byte).
          value += '\\';
          i += 1;
        }
        chunk = i;
      } else i++;
    }
    value += buf.toString('utf8', chunk, i);
    i++;
    labels.push({ name, value });
  }
  return labels;
}

/**
 * The labels of a sample once `injected` ones are set, Prometheus's way for target labels under
 * `honor_labels: false`: a scraped label of the same name (non-empty) moves to `exported_<name>`,
 * prefixed again while that name is taken, shortest names first (scrape.go resolveConflictingExposedLabels).
 */
export function injectLabels(scraped: readonly Label[], injected: readonly Label[]): Label[] {
  const result = new Map<string, string>();
  for (const { name, value } of injected) result.set(name, value);
  const byName = new Map<string, string>();
  for (const { name, value } of scraped) byName.set(name, value);
  const conflicts: Label[] = [];
  for (const { name } of injected) {
    const existing = byName.get(name);
    if (existing) conflicts.push({ name, value: existing });
    byName.delete(name);
  }
  for (const [name, value] of byName) result.set(name, value);
  conflicts.sort((a, b) => a.name.length - b.name.length);
  for (const conflict of conflicts) {
    let name = conflict.name;
    do name = `exported_${name}`;
    while (result.get(name));
    result.set(name, conflict.value);
  }
  return [...result].map(([name, value]) => ({ name, value }));
}

/** `name="value",…` without braces. */
export function encodeLabels(labels: readonly Label[]): string {
  return labels.map(({ name, value }) => `${name}="${escapeLabelValue(value)}"`).join(',');
}
