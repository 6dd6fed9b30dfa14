// Which sample names belong to a family of each type, in each format. Not API.
import type { MetricType } from './family';
import type { ExpositionFormat } from './format';
import { SampleRole, SUFFIXES } from './sample-role';

const TEXT_ROLES: Record<MetricType, readonly SampleRole[]> = {
  counter: [SampleRole.Bare],
  gauge: [SampleRole.Bare],
  unknown: [SampleRole.Bare],
  histogram: [SampleRole.Bucket, SampleRole.Sum, SampleRole.Count],
  summary: [SampleRole.Bare, SampleRole.Sum, SampleRole.Count],
  // Not classic types: never declared in classic text.
  gaugehistogram: [],
  info: [],
  stateset: [],
};

const OPENMETRICS_ROLES: Record<MetricType, readonly SampleRole[]> = {
  counter: [SampleRole.Total, SampleRole.Created],
  gauge: [SampleRole.Bare],
  unknown: [SampleRole.Bare],
  stateset: [SampleRole.Bare],
  info: [SampleRole.Info],
  histogram: [SampleRole.Bucket, SampleRole.Count, SampleRole.Sum, SampleRole.Created],
  gaugehistogram: [SampleRole.Bucket, SampleRole.GCount, SampleRole.GSum],
  summary: [SampleRole.Bare, SampleRole.Count, SampleRole.Sum, SampleRole.Created],
};

/** The sample roles a family of this type has in this format. */
export function rolesOf(format: ExpositionFormat, type: MetricType): readonly SampleRole[] {
  return format === 'openmetrics' ? OPENMETRICS_ROLES[type] : TEXT_ROLES[type];
}

/**
 * The role of the sample named buf[s..e) in a family named `name` of this type, or -1 when the
 * name does not belong to it.
 */
export function roleIn(
  buf: Buffer,
  s: number,
  e: number,
  name: string,
  roles: readonly SampleRole[],
): SampleRole | -1 {
  const n = name.length;
  if (e - s < n) return -1;
  for (let i = 0; i < n; i++) if (buf[s + i] !== name.charCodeAt(i)) return -1;
  return suffixRole(buf, s + n, e, roles);
}

/** The role among `roles` whose suffix is exactly buf[s..e), or -1. */
export function suffixRole(buf: Buffer, s: number, e: number, roles: readonly SampleRole[]): SampleRole | -1 {
  for (const role of roles) {
    const suffix = SUFFIXES[role];
    if (e - s !== suffix.length) continue;
    let match = true;
    for (let i = 0; i < suffix.length; i++) {
      if (buf[s + i] !== suffix.charCodeAt(i)) {
        match = false;
        break;
      }
    }
    if (match) return role;
  }
  return -1;
}
