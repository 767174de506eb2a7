/**
 * `npm run bench -- [--quick | --cases N] [--concurrency K]`: a national wave of supplier-change cases on the
 * local stack, every participant played over HTTP as in the end-to-end tests. Exits 1 if any case failed,
 * 2 on bad options.
 */
import { OptionsError, USAGE, parseBenchArgs, type BenchOptions } from './wave/options.js';
import { formatTable, writeResults } from './wave/report.js';
import { runWave } from './wave/wave.js';

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  let options: BenchOptions;
  try {
    options = parseBenchArgs(argv);
  } catch (error) {
    if (!(error instanceof OptionsError)) throw error;
    console.error(`bench: ${error.message}\n${USAGE}`);
    return 2;
  }
  process.stderr.write(`[bench] national wave: ${options.cases} cases, concurrency ${options.concurrency}, ${options.lambdaWorkers} Lambda worker threads${options.sesRate ? `, SES quota ${options.sesRate} recipients/s` : ''}\n`);
  const result = await runWave({ cases: options.cases, concurrency: options.concurrency, timeoutMs: options.timeoutMs, lambdaWorkers: options.lambdaWorkers, ...(options.sesRate ? { sesRate: options.sesRate } : {}), progressEveryMs: 2000 });
  console.log(formatTable(result));
  const files = await writeResults(result, options.outDir);
  console.log(`\nresults: ${files.json}\nchart:   ${files.svg}`);
  if (result.errors.length > 0) {
    console.error(`bench: ${result.errors.length} of ${options.cases} cases failed`);
    return 1;
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error('bench: crashed:', error);
    process.exit(1);
  },
);
