// `npm run bench`: every benchmark, figures as ratios measured in one run.
import { runEngineBenchmark } from './engine';

runEngineBenchmark();
void import('./process').then(({ runProcessBenchmark }) => runProcessBenchmark());
