import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** `../shared` beside the repository (read-only test data: conformance cases, CRDs). */
export const SHARED_DIR = resolve(__dirname, '../../../../shared');

export function sharedPath(...parts: string[]): string {
  const path = join(SHARED_DIR, ...parts);
  if (!existsSync(path)) throw new Error(`${path} is missing: clone the repository with ../shared beside it`);
  return path;
}
