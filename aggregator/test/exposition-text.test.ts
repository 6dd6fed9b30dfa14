import { decodeSamples, ExpositionParseError, parseExposition } from '../src/exposition';

const parse = (body: string) => parseExposition(Buffer.from(body), 'text');
const samples = (body: string) => decodeSamples(parse(body));
const failure = (body: string) => {
  try {
    parse(body);
  } catch (error) {
    if (error instanceof ExpositionParseError) return { line: error.line, reason: error.reason };
    throw error;
  }
  throw new Error('expected a parse error');
};

describe('classic text parser', () => {
  it('reads the example of the Prometheus exposition format documentation', () => {
    const body = [
      '# HELP http_requests_total The total number of HTTP requests.',
      '# TYPE http_requests_total counter',
      'http_requests_total{method="post",code="200"} 1027 1395066363000',
      'http_requests_total{method="post",code="400"}    3 1395066363000',
      '',
      '# Escaping in label values:',
      'msdos_file_access_time_seconds{path="C:\\\\DIR\\\\FILE.TXT",error="Cannot find file:\\n\\"FILE.TXT\\""} 1.458255915e9',
      '',
      '# Minimalistic line:',
      'metric_without_timestamp_and_labels 12.47',
      '',
      '# A weird metric (the documentation dates it before 1970, which Prometheus refuses):',
      'something_weird{problem="division by zero"} +Inf 3982045',
      '',
      '# TYPE http_request_duration_seconds histogram',
      'http_request_duration_seconds_bucket{le="0.05"} 24054',
      'http_request_duration_seconds_bucket{le="+Inf"} 144320',
      'http_request_duration_seconds_sum 53423',
      'http_request_duration_seconds_count 144320',
      '',
      '# TYPE rpc_duration_seconds summary',
      'rpc_duration_seconds{quantile="0.01"} 3102',
      'rpc_duration_seconds_sum 1.7560473e+07',
      'rpc_duration_seconds_count 2693',
    ].join('\n');
    const parsed = parse(body);
    expect(parsed.families.map((f) => [f.name, f.type])).toEqual([
      ['http_requests_total', 'counter'],
      ['msdos_file_access_time_seconds', 'unknown'],
      ['metric_without_timestamp_and_labels', 'unknown'],
      ['something_weird', 'unknown'],
      ['http_request_duration_seconds', 'histogram'],
      ['rpc_duration_seconds', 'summary'],
    ]);
    const all = decodeSamples(parsed);
    expect(all).toHaveLength(12);
    expect(all[2].labels).toEqual([
      { name: 'path', value: 'C:\\DIR\\FILE.TXT' },
      { name: 'error', value: 'Cannot find file:\n"FILE.TXT"' },
    ]);
    expect(all[4]).toMatchObject({ value: Number.POSITIVE_INFINITY, timestampMs: '3982045' });
    expect(all.map((s) => s.name)).toContain('http_request_duration_seconds_bucket');
  });

  it('accepts the whitespace Prometheus accepts: around labels, commas, before values, trailing', () => {
    const [s] = samples('  metric { a = "1" ,\tb="2", }\t 5   7  \n');
    expect(s).toMatchObject({ name: 'metric', value: 5, timestampMs: '7' });
    expect(s.labels).toEqual([
      { name: 'a', value: '1' },
      { name: 'b', value: '2' },
    ]);
  });

  it('reads every number form Prometheus parses: exponents, signs, NaN, Inf in any case', () => {
    const values = samples(
      'a 1e3\nb -2.5E-1\nc NaN\nd +Inf\ne -inf\nf Infinity\ng .5\nh 007\ni 1e-400\n',
    ).map((s) => s.value);
    expect(values).toEqual([
      1000,
      -0.25,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      Number.POSITIVE_INFINITY,
      0.5,
      7,
      0,
    ]);
  });

  it('keeps the first HELP and TYPE and the samples of a repeated family in one family', () => {
    const parsed = parse(
      '# HELP a first\n# TYPE a gauge\na 1\nb 2\n# HELP a second\n# TYPE a counter\na 3\n',
    );
    const a = parsed.families.find((f) => f.name === 'a');
    expect(a).toMatchObject({ help: 'first', type: 'gauge' });
    expect(a?.samples).toHaveLength(2);
  });

  it('files a sample under its own family after metadata of another family', () => {
    const parsed = parse('a 1\n# TYPE b gauge\na 2\nb 3\n');
    expect(parsed.families.map((f) => [f.name, f.samples.length])).toEqual([
      ['a', 2],
      ['b', 1],
    ]);
  });

  it('keeps a sample whose name is taken by a family it does not fit, as Prometheus does', () => {
    const parsed = parse('# TYPE h histogram\nh_bucket{le="+Inf"} 1\nh_count 1\nh_sum 1\nh 7\n');
    expect(decodeSamples(parsed).map((s) => s.name)).toEqual(['h_bucket', 'h_count', 'h_sum', 'h']);
    expect(parsed.families.map((f) => [f.name, f.type])).toEqual([
      ['h', 'histogram'],
      ['h', 'unknown'],
    ]);
  });

  it('keeps an unknown escape before a multi-byte character as written, as Prometheus does', () => {
    const [s] = samples('a{b="\\\u0080x\\zé"} 1\n');
    expect(s.labels).toEqual([{ name: 'b', value: '\\\u0080x\\zé' }]);
  });

  it('reads HELP escapes \\\\ and \\n and keeps other backslashes', () => {
    const [family] = parse('# HELP a x\\\\y\\nz\\t\na 1\n').families;
    expect(family.help).toBe('x\\y\nz\\t');
  });

  it.each([
    ['a{b="c"} x\n', 1, 'invalid value "x"'],
    ['ok 1\n1a 2\n', 2, 'invalid metric name'],
    ['a{b="c} 1\n', 1, 'unterminated label value'],
    ['a{b="1",b="2"} 1\n', 1, 'duplicate label name'],
    ['a{0="1"} 1\n', 1, 'expected a label name'],
    ['a{b} 1\n', 1, 'expected "="'],
    ['a 1 1.5\n', 1, 'invalid timestamp "1.5"'],
    ['a 1 -5\n', 1, 'invalid timestamp "-5"'],
    ['a 1 +5\n', 1, 'invalid timestamp "+5"'],
    ['a 0x1p-3\n', 1, 'invalid value "0x1p-3"'],
    ['a 0x10\n', 1, 'invalid value "0x10"'],
    ['a 1_000\n', 1, 'invalid value "1_000"'],
    ['a +NaN\n', 1, 'invalid value "+NaN"'],
    ['a 1e400\n', 1, 'invalid value "1e400"'],
    ['a 1 2 3\n', 1, 'unexpected text after the timestamp'],
    ['# TYPE a meter\n', 1, 'invalid metric type "meter"'],
    ['a\n', 1, 'has no value'],
    ['a 1\r\n', 1, 'invalid value'],
    ['a{b="\xff"} 1\n', 1, 'not valid UTF-8'],
  ])('rejects %j at line %i: %s', (body, line, reason) => {
    const buffer = Buffer.from(body, body.includes('\xff') ? 'latin1' : 'utf8');
    let error: ExpositionParseError | undefined;
    try {
      parseExposition(buffer, 'text');
    } catch (e) {
      error = e as ExpositionParseError;
    }
    expect(error).toBeInstanceOf(ExpositionParseError);
    expect(error?.line).toBe(line);
    expect(error?.reason).toContain(reason);
  });

  it('rejects a timestamp outside int64 milliseconds', () => {
    expect(failure('a 1 9223372036854775808\n').reason).toContain('invalid timestamp');
    expect(samples('a 1 9223372036854775807\n')[0].timestampMs).toBe('9223372036854775807');
  });
});
