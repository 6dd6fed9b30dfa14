import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { OPTIONS } from '../src/config';
import { SelfMetrics } from '../src/observability/self-metrics';

const readme = readFileSync(resolve(__dirname, '../../README.md'), 'utf8');

describe('README', () => {
  it.each(Object.values(OPTIONS).map((o) => [o.flag, o] as const))(
    'documents --%s and its environment variables',
    (flag, option) => {
      expect(readme).toMatch(new RegExp(`\`--(\\[no-\\])?${flag}\``));
      for (const env of option.env) expect(readme).toContain(`\`${env}\``);
    },
  );

  it('documents every metric of the aggregator itself', async () => {
    const metrics = new SelfMetrics(['api'], '0.0.0');
    const names = (await metrics.registry.getMetricsAsJSON())
      .map((m) => m.name)
      .filter((name) => name.startsWith('metrics_aggregator_'));
    expect(names.length).toBeGreaterThan(10);
    for (const name of names) expect(readme).toContain(`\`${name}\``);
  });

  it('gives the two commands, run and test', () => {
    expect(readme).toContain('bash scripts/demo.sh');
    expect(readme).toContain('bash scripts/test.sh');
  });
});
