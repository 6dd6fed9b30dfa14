// A strict JSON (RFC 8259) parser that, unlike JSON.parse, rejects duplicate keys (JSON.parse keeps
// the last one silently: a typo'd METRICS_ENDPOINTS would lose an upstream) and reports every
// problem with its line and column.

/** Why a JSON text was rejected, and where. */
export class JsonError extends Error {
  constructor(
    /** What is wrong, without the position (e.g. `expected ":" after a key`). */
    readonly problem: string,
    /** Offset (0-based) of the problem in the text. */
    readonly offset: number,
    /** The repeated key and the keys and indexes down to its object; undefined for syntax errors. */
    readonly duplicate: { readonly key: string; readonly path: readonly (string | number)[] } | undefined,
    /** `line 3, column 7` (just `column 7` for a one-line text), with the text near the problem. */
    readonly position: string,
  ) {
    super(`${problem} at ${position}`);
  }
}

const MAX_DEPTH = 64;
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const ESCAPES: Record<string, string> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};

/** Parses a JSON text; objects come out as plain objects whose keys keep the text's order. */
export function parseJson(text: string): unknown {
  const parser = new Parser(text);
  const value = parser.value([], 0);
  parser.skipWhitespace();
  if (parser.pos < text.length) parser.fail('unexpected text after the end of the JSON value');
  return value;
}

class Parser {
  pos = 0;

  constructor(private readonly text: string) {}

  fail(problem: string, offset = this.pos, duplicate?: JsonError['duplicate']): never {
    throw new JsonError(problem, offset, duplicate, this.position(offset));
  }

  skipWhitespace(): void {
    while (this.pos < this.text.length) {
      const c = this.text[this.pos];
      if (c !== ' ' && c !== '\t' && c !== '\n' && c !== '\r') return;
      this.pos++;
    }
  }

  value(path: (string | number)[], depth: number): unknown {
    if (depth > MAX_DEPTH) this.fail(`nesting deeper than ${MAX_DEPTH} levels`);
    this.skipWhitespace();
    const c = this.text[this.pos];
    if (c === '{') return this.object(path, depth);
    if (c === '[') return this.array(path, depth);
    if (c === '"') return this.string();
    if (c === '-' || (c >= '0' && c <= '9')) return this.number();
    for (const [word, value] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (this.text.startsWith(word, this.pos)) {
        this.pos += word.length;
        return value;
      }
    }
    if (c === undefined) this.fail('unexpected end of input, expected a value');
    if (c === "'") this.fail('strings must be in double quotes');
    this.fail(`unexpected ${JSON.stringify(c)}, expected a value`);
  }

  private object(path: (string | number)[], depth: number): Record<string, unknown> {
    this.pos++;
    const result: Record<string, unknown> = {};
    const seen = new Set<string>();
    this.skipWhitespace();
    if (this.text[this.pos] === '}') {
      this.pos++;
      return result;
    }
    for (;;) {
      this.skipWhitespace();
      if (this.text[this.pos] !== '"') this.fail('expected a key in double quotes');
      const keyOffset = this.pos;
      const key = this.string();
      if (seen.has(key)) this.fail(`duplicate key ${JSON.stringify(key)}`, keyOffset, { key, path });
      seen.add(key);
      this.skipWhitespace();
      if (this.text[this.pos] !== ':') this.fail('expected ":" after the key');
      this.pos++;
      // defineProperty, not assignment: a "__proto__" key must stay a key.
      Object.defineProperty(result, key, {
        value: this.value([...path, key], depth + 1),
        enumerable: true,
        writable: true,
        configurable: true,
      });
      this.skipWhitespace();
      const next = this.text[this.pos++];
      if (next === '}') return result;
      if (next !== ',') this.fail('expected "," or "}" after a value', this.pos - 1);
    }
  }

  private array(path: (string | number)[], depth: number): unknown[] {
    this.pos++;
    const result: unknown[] = [];
    this.skipWhitespace();
    if (this.text[this.pos] === ']') {
      this.pos++;
      return result;
    }
    for (;;) {
      result.push(this.value([...path, result.length], depth + 1));
      this.skipWhitespace();
      const next = this.text[this.pos++];
      if (next === ']') return result;
      if (next !== ',') this.fail('expected "," or "]" after a value', this.pos - 1);
    }
  }

  private string(): string {
    this.pos++;
    let result = '';
    let chunkStart = this.pos;
    for (;;) {
      const c = this.text[this.pos];
      if (c === undefined) this.fail('unterminated string');
      if (c === '"') break;
      if (c < ' ') this.fail('control character in a string (escape it, e.g. \\n)');
      if (c !== '\\') {
        this.pos++;
        continue;
      }
      result += this.text.slice(chunkStart, this.pos);
      const escaped = this.text[this.pos + 1];
      if (escaped === 'u') {
        const hex = this.text.slice(this.pos + 2, this.pos + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail('invalid \\u escape (expected 4 hex digits)');
        result += String.fromCharCode(Number.parseInt(hex, 16));
        this.pos += 6;
      } else if (escaped !== undefined && escaped in ESCAPES) {
        result += ESCAPES[escaped];
        this.pos += 2;
      } else {
        this.fail(`invalid escape ${JSON.stringify(`\\${escaped ?? ''}`)}`);
      }
      chunkStart = this.pos;
    }
    result += this.text.slice(chunkStart, this.pos);
    this.pos++;
    return result;
  }

  private number(): number {
    NUMBER.lastIndex = this.pos;
    const match = NUMBER.exec(this.text);
    if (!match) this.fail('invalid number');
    this.pos += match[0].length;
    return Number(match[0]);
  }

  private position(offset: number): string {
    const before = this.text.slice(0, offset);
    const line = before.split('\n').length;
    const column = offset - (before.lastIndexOf('\n') + 1) + 1;
    const near = this.text.slice(offset, offset + 20);
    const where = this.text.includes('\n') ? `line ${line}, column ${column}` : `column ${column}`;
    return near === '' ? `${where} (end of input)` : `${where} (near ${JSON.stringify(near)})`;
  }
}
