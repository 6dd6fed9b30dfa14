/** A label with its decoded value. */
export interface Label {
  readonly name: string;
  readonly value: string;
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Whether a name is a valid Prometheus label name (and not reserved, as `__`-prefixed names are). */
export function isValidLabelName(name: string): boolean {
  return LABEL_NAME.test(name) && !name.startsWith('__');
}

/** A label value escaped for either format: \\, \" and \n (the escapes both formats define). */
export function escapeLabelValue(value: string): string {
  return /[\\"\n]/.test(value) ? value.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`)) : value;
}
