// Decides which output family each upstream family's samples go to, for one output format. Series
// names never change: only how they are grouped into families and what type is declared. Not API.
import { rolesOf } from './_family-roles';
import type { Family, MetricType, ParsedExposition } from './family';
import type { ExpositionFormat } from './format';
import { checkOpenMetricsFamily } from './openmetrics-rules';
import { SampleRole, SUFFIXES } from './sample-role';

/** Some samples of one upstream family, written into an output family. */
export interface Part {
  readonly source: number;
  readonly family: Family;
  /** Output role for each source role, -1 where that role is not part of this part. */
  readonly roleMap: readonly (SampleRole | -1)[];
  /** A classic family written with an OpenMetrics type, which could instead be written as unknown. */
  readonly degradable?: boolean;
}

export interface OutputFamily {
  readonly name: string;
  readonly type: MetricType;
  readonly help: string | undefined;
  readonly unit: string | undefined;
  readonly parts: Part[];
}

export interface TypeConflict {
  /** The family name in the output. */
  readonly family: string;
  readonly firstOrigin: string;
  readonly firstType: MetricType;
  readonly origin: string;
  readonly type: MetricType;
}

export interface Plan {
  readonly families: OutputFamily[];
  readonly conflicts: TypeConflict[];
}

interface Candidate {
  readonly name: string;
  readonly type: MetricType;
  readonly help: string | undefined;
  readonly unit: string | undefined;
  readonly part: Part;
}

const ALL_ROLES = 9;

function roleMap(entries: readonly [SampleRole, SampleRole][]): (SampleRole | -1)[] {
  const map: (SampleRole | -1)[] = new Array(ALL_ROLES).fill(-1);
  for (const [from, to] of entries) map[from] = to;
  return map;
}

const IDENTITY = roleMap(Array.from({ length: ALL_ROLES }, (_, r) => [r, r] as [SampleRole, SampleRole]));
// One array per mapping, made once: the checks remember what they learnt by the role map's identity.
const ONLY = Array.from({ length: ALL_ROLES }, (_, role) =>
  Array.from({ length: ALL_ROLES }, (_, to) => roleMap([[role, to]])),
);
const only = (role: SampleRole, to: SampleRole = SampleRole.Bare) => ONLY[role][to];

/** Classic families an OpenMetrics family becomes: classic has no _created, info, stateset or gauge histograms. */
function toText(source: number, f: Family): Candidate[] {
  const c = (name: string, type: MetricType, map: (SampleRole | -1)[], withHelp = true): Candidate => ({
    name,
    type,
    help: withHelp ? f.help : undefined,
    unit: undefined,
    part: { source, family: f, roleMap: map },
  });
  const created = c(`${f.name}_created`, 'gauge', only(SampleRole.Created), false);
  switch (f.type) {
    case 'counter':
      return [c(`${f.name}_total`, 'counter', only(SampleRole.Total)), created];
    case 'histogram':
      return [
        c(
          f.name,
          'histogram',
          roleMap([
            [SampleRole.Bucket, SampleRole.Bucket],
            [SampleRole.Sum, SampleRole.Sum],
            [SampleRole.Count, SampleRole.Count],
          ]),
        ),
        created,
      ];
    case 'summary':
      return [
        c(
          f.name,
          'summary',
          roleMap([
            [SampleRole.Bare, SampleRole.Bare],
            [SampleRole.Sum, SampleRole.Sum],
            [SampleRole.Count, SampleRole.Count],
          ]),
        ),
        created,
      ];
    case 'gaugehistogram':
      return [SampleRole.Bucket, SampleRole.GCount, SampleRole.GSum].map((role) =>
        c(f.name + SUFFIXES[role], 'gauge', only(role)),
      );
    case 'info':
      return [c(`${f.name}_info`, 'gauge', only(SampleRole.Info))];
    case 'stateset':
      return [c(f.name, 'gauge', only(SampleRole.Bare))];
    default:
      return [c(f.name, f.type, only(SampleRole.Bare))];
  }
}

/**
 * OpenMetrics families a classic family becomes: its own type when its samples keep that type's
 * rules, else one `unknown` family per sample name (names kept, only the declared type is lost).
 */
function toOpenMetrics(
  source: number,
  origin: string,
  exposition: ParsedExposition,
  f: Family,
  degrade: boolean,
): Candidate[] {
  const c = (name: string, type: MetricType, map: readonly (SampleRole | -1)[]): Candidate => ({
    name,
    type,
    help: f.help,
    unit: undefined,
    part: { source, family: f, roleMap: map, degradable: type !== 'unknown' && type !== 'gauge' },
  });
  const violation = (name: string, type: MetricType, map: readonly (SampleRole | -1)[]) =>
    checkOpenMetricsFamily(exposition.body, exposition.samples, name, type, f.samples, 'text', map);
  const fits = (name: string, type: MetricType, map: readonly (SampleRole | -1)[]) =>
    violation(name, type, map) === undefined;
  // Gauges and unknowns have no type rules, but OpenMetrics's grouping rules still hold for them
  // (a series repeated, or with and without a timestamp, is fine in classic text): only classic text
  // can carry such a family as it is.
  const untyped = (name: string, type: MetricType, map: readonly (SampleRole | -1)[]): Candidate => {
    const broken = violation(name, type, map);
    if (broken) {
      throw new Unrepresentable(
        `"${origin}" line ${broken.line}: ${broken.reason}, which classic text allows and OpenMetrics does not`,
        [],
      );
    }
    return c(name, type, map);
  };
  if (!degrade && f.type === 'counter' && f.name.endsWith('_total') && f.name.length > '_total'.length) {
    const map = only(SampleRole.Bare, SampleRole.Total);
    const base = f.name.slice(0, -'_total'.length);
    if (fits(base, 'counter', map)) return [c(base, 'counter', map)];
  }
  if (f.type === 'gauge' || f.type === 'unknown') return [untyped(f.name, f.type, only(SampleRole.Bare))];
  if (!degrade && (f.type === 'histogram' || f.type === 'summary') && fits(f.name, f.type, IDENTITY)) {
    return [c(f.name, f.type, IDENTITY)];
  }
  const present = new Set<SampleRole>(f.samples.map((row) => exposition.samples.role[row]));
  return [...present].sort().map((role) => untyped(f.name + SUFFIXES[role], 'unknown', only(role)));
}

const BOTH = 'OpenMetrics cannot hold both without renaming a series';

/** Types whose samples are all named as the family and carry no rules: one can stand for the other. */
const INTERCHANGEABLE = new Set<MetricType>(['gauge', 'unknown']);

/** OpenMetrics cannot hold the families as planned; degrading `degradable` ones to unknown may help. */
export class Unrepresentable extends Error {
  constructor(
    message: string,
    readonly degradable: readonly Family[],
  ) {
    super(message);
  }
}

const degradableOf = (parts: readonly Part[]) => parts.filter((p) => p.degradable).map((p) => p.family);

/**
 * Groups every upstream family into output families. For OpenMetrics, throws Unrepresentable
 * when the families cannot all be written without renaming a series.
 */
export function plan(
  sources: readonly { origin: string; exposition: ParsedExposition }[],
  format: ExpositionFormat,
  degraded: ReadonlySet<Family> = new Set(),
): Plan {
  const families: OutputFamily[] = [];
  const byName = new Map<string, OutputFamily>();
  const conflicts: TypeConflict[] = [];
  sources.forEach(({ origin, exposition }, source) => {
    for (const family of exposition.families) {
      const candidates =
        exposition.format === format
          ? [
              {
                name: family.name,
                type: family.type,
                help: family.help,
                unit: format === 'openmetrics' ? family.unit : undefined,
                part: { source, family, roleMap: IDENTITY },
              },
            ]
          : format === 'text'
            ? toText(source, family)
            : toOpenMetrics(source, origin, exposition, family, degraded.has(family));
      for (const [index, candidate] of candidates.entries()) {
        const used = family.samples.some(
          (row) => candidate.part.roleMap[exposition.samples.role[row]] !== -1,
        );
        // A family without samples still gets its metadata written once; no empty `_created` twins.
        if (!used && (family.samples.length > 0 || index > 0)) continue;
        const existing = byName.get(candidate.name);
        if (!existing) {
          const created: OutputFamily = { ...candidate, parts: [candidate.part] };
          byName.set(candidate.name, created);
          families.push(created);
          continue;
        }
        if (existing.type !== candidate.type) {
          const first = sources[existing.parts[0].source].origin;
          conflicts.push({
            family: candidate.name,
            firstOrigin: first,
            firstType: existing.type,
            origin,
            type: candidate.type,
          });
          if (
            format === 'openmetrics' &&
            !(INTERCHANGEABLE.has(existing.type) && INTERCHANGEABLE.has(candidate.type))
          ) {
            throw new Unrepresentable(
              `metric family "${candidate.name}" is a ${existing.type} in "${first}" and a ${candidate.type} in "${origin}": ${BOTH}`,
              degradableOf([...existing.parts, candidate.part]),
            );
          }
        }
        // An info family is one metric: its samples must agree on having timestamps, across upstreams too.
        if (format === 'openmetrics' && existing.type === 'info') {
          const presence = timestampPresence(sources, existing.parts);
          const added = timestampPresence(sources, [candidate.part]);
          if (presence !== added && presence !== Presence.Empty && added !== Presence.Empty) {
            throw new Unrepresentable(
              `info family "${candidate.name}" has samples with and without timestamps across upstreams: ${BOTH}`,
              [],
            );
          }
        }
        existing.parts.push(candidate.part);
        if (existing.help === undefined && candidate.help !== undefined)
          (existing as { help?: string }).help = candidate.help;
        if (existing.unit === undefined && candidate.unit !== undefined)
          (existing as { unit?: string }).unit = candidate.unit;
      }
    }
  });
  if (format === 'openmetrics') assertNoClash(families);
  else absorbCapturedFamilies(families, sources, conflicts);
  return { families, conflicts };
}

// OpenMetrics forbids two families whose sample names could meet (a gauge "x_total" beside a counter "x").
function assertNoClash(families: readonly OutputFamily[]): void {
  const claimed = new Map<string, OutputFamily>();
  for (const family of families) {
    for (const role of ownedRoles(family.type)) {
      const name = family.name + SUFFIXES[role];
      const other = claimed.get(name);
      if (other !== undefined) {
        throw new Unrepresentable(
          `metric families "${other.name}" and "${family.name}" would both own the name "${name}": ${BOTH}`,
          degradableOf([...other.parts, ...family.parts]),
        );
      }
      claimed.set(name, family);
    }
  }
}

/** The sample names, by role, an OpenMetrics family of each type owns. */
const OWNED_ROLES = new Map<MetricType, readonly SampleRole[]>();

function ownedRoles(type: MetricType): readonly SampleRole[] {
  let roles = OWNED_ROLES.get(type);
  if (roles === undefined) {
    roles = [...new Set([SampleRole.Bare, ...rolesOf('openmetrics', type)])];
    OWNED_ROLES.set(type, roles);
  }
  return roles;
}

enum Presence {
  Empty,
  None,
  All,
  Mixed,
}

/** Whether the samples of these parts carry timestamps: none, all, or some. */
function timestampPresence(
  sources: readonly { exposition: ParsedExposition }[],
  parts: readonly Part[],
): Presence {
  let presence = Presence.Empty;
  for (const part of parts) {
    const table = sources[part.source].exposition.samples;
    for (const row of part.family.samples) {
      if (part.roleMap[table.role[row]] === -1) continue;
      const has = table.timestampStart[row] >= 0 ? Presence.All : Presence.None;
      if (presence === Presence.Empty) presence = has;
      else if (presence !== has) return Presence.Mixed;
    }
  }
  return presence;
}

/**
 * In classic text a family named like the _bucket, _sum or _count samples of another family is read
 * as part of it (Go's text parser then sees a second TYPE, or a TYPE after samples). Its samples,
 * names unchanged, are written inside that other family instead, and the conflict counted.
 */
function absorbCapturedFamilies(
  families: OutputFamily[],
  sources: readonly { origin: string; exposition: ParsedExposition }[],
  conflicts: TypeConflict[],
): void {
  const byName = new Map(families.map((f) => [f.name, f]));
  const captured = new Set<OutputFamily>();
  for (const owner of families) {
    if (captured.has(owner)) continue;
    // The suffixed names the owner's samples carry (a histogram's, or those of a conflicting part).
    const suffixRoles = new Set<SampleRole>();
    for (const part of owner.parts) {
      const table = sources[part.source].exposition.samples;
      for (const row of part.family.samples) {
        const r = part.roleMap[table.role[row]];
        if (r !== -1 && r !== SampleRole.Bare) suffixRoles.add(r);
      }
    }
    for (const role of suffixRoles) {
      const other = byName.get(owner.name + SUFFIXES[role]);
      // Only families whose samples are named as the family can move without renaming one.
      if (
        !other ||
        other === owner ||
        captured.has(other) ||
        !['counter', 'gauge', 'unknown'].includes(other.type)
      )
        continue;
      captured.add(other);
      for (const part of other.parts) {
        owner.parts.push({ ...part, roleMap: part.roleMap.map((r) => (r === SampleRole.Bare ? role : r)) });
      }
      conflicts.push({
        family: other.name,
        firstOrigin: sources[owner.parts[0].source].origin,
        firstType: owner.type,
        origin: sources[other.parts[0].source].origin,
        type: other.type,
      });
    }
  }
  if (captured.size > 0) families.splice(0, families.length, ...families.filter((f) => !captured.has(f)));
}
