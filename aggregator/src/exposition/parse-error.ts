/** An upstream body that is not a valid exposition. Nothing of it is used: see README "Malformed upstreams". */
export class ExpositionParseError extends Error {
  readonly code = 'parse';

  constructor(
    /** 1-based line of the body where the problem is. */
    readonly line: number,
    /** What is wrong, without the line number. */
    readonly reason: string,
  ) {
    super(`line ${line}: ${reason}`);
    this.name = 'ExpositionParseError';
  }
}
