/**
 * What a sample is within its family, told by the suffix its name adds to the family name. The
 * name is never stored per sample: it is always `family.name + SUFFIXES[role]`.
 */
export enum SampleRole {
  Bare = 0,
  Total = 1,
  Created = 2,
  Bucket = 3,
  Count = 4,
  Sum = 5,
  GCount = 6,
  GSum = 7,
  Info = 8,
}

export const SUFFIXES: readonly string[] = [
  '',
  '_total',
  '_created',
  '_bucket',
  '_count',
  '_sum',
  '_gcount',
  '_gsum',
  '_info',
];
