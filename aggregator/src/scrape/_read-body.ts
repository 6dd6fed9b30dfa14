import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { formatBytes } from './_units';
import { ScrapeError } from './scrape-error';
import type { ScrapeLimits } from './upstream-scraper';

/** A fully read response body. */
export interface ReadBody {
  readonly body: Buffer;
  /** Bytes received on the wire, before decompression. */
  readonly wireBytes: number;
}

const NEWLINE = 0x0a;

/**
 * Reads a response body into one Buffer, inflating it when `gzip`, and throws a `limit` ScrapeError as
 * soon as a limit is crossed, so memory stays bounded by the limits whatever the upstream sends. Other
 * failures (socket, zlib) are thrown as they are, for the caller to classify.
 */
export async function readBody(
  upstream: string,
  source: Readable,
  gzip: boolean,
  limits: ScrapeLimits,
  signal: AbortSignal,
): Promise<ReadBody> {
  const collector = new Collector(upstream, limits);
  let wireBytes = 0;
  const countWire = (chunk: Buffer): void => {
    wireBytes += chunk.length;
    if (wireBytes > limits.maxCompressedBytes) {
      throw limitError(
        upstream,
        `response exceeded the ${formatBytes(limits.maxCompressedBytes)} transfer limit`,
      );
    }
  };

  if (gzip) {
    await pipeline(
      source,
      async function* (chunks: AsyncIterable<Buffer>) {
        for await (const chunk of chunks) {
          countWire(chunk);
          yield chunk;
        }
      },
      createGunzip(),
      async (chunks: AsyncIterable<Buffer>) => {
        for await (const chunk of chunks) collector.push(chunk);
      },
      { signal },
    );
  } else {
    // Breaking out of the loop by a throw destroys the source, which closes the connection.
    for await (const chunk of source as AsyncIterable<Buffer>) {
      collector.push(chunk);
      countWire(chunk);
    }
  }
  return { body: collector.concat(), wireBytes };
}

/** The decoded body so far, checked against the body and line limits chunk by chunk. */
class Collector {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  /** Bytes since the last newline, across chunks. */
  private lineBytes = 0;

  constructor(
    private readonly upstream: string,
    private readonly limits: ScrapeLimits,
  ) {}

  push(chunk: Buffer): void {
    const { maxBodyBytes, maxLineBytes } = this.limits;
    this.size += chunk.length;
    if (this.size > maxBodyBytes) {
      throw limitError(this.upstream, `response exceeded the ${formatBytes(maxBodyBytes)} body limit`);
    }
    this.checkLines(chunk, maxLineBytes);
    this.chunks.push(chunk);
  }

  concat(): Buffer {
    return Buffer.concat(this.chunks, this.size);
  }

  private checkLines(chunk: Buffer, maxLineBytes: number): void {
    let longest: number;
    const first = chunk.indexOf(NEWLINE);
    if (first < 0) {
      this.lineBytes += chunk.length;
      longest = this.lineBytes;
    } else {
      longest = this.lineBytes + first;
      // A line wholly inside the chunk can only be too long when the chunk itself is longer than the limit.
      if (chunk.length > maxLineBytes) {
        let start = first + 1;
        for (let nl = chunk.indexOf(NEWLINE, start); nl >= 0; nl = chunk.indexOf(NEWLINE, start)) {
          longest = Math.max(longest, nl - start);
          start = nl + 1;
        }
      }
      this.lineBytes = chunk.length - chunk.lastIndexOf(NEWLINE) - 1;
      longest = Math.max(longest, this.lineBytes);
    }
    if (longest > maxLineBytes) {
      throw limitError(this.upstream, `a line exceeded the ${formatBytes(maxLineBytes)} line limit`);
    }
  }
}

function limitError(upstream: string, detail: string): ScrapeError {
  return new ScrapeError(upstream, 'limit', detail);
}
