/**
 * Bundle size and cold-initialisation benchmark of every Lambda entry (lambdas/<name>/index.ts).
 *
 * Each entry is built with esbuild three ways:
 *  - `deployed`: the options of lib/procedure-function.ts (ESM, minify, keepNames, source map, node target of
 *    the runtime, mainFields module/main, createRequire banner, the AWS SDK bundled, BUNDLE_ALIASES);
 *  - `external`: the same with the whole AWS SDK (`@aws-sdk/*`, and the `@smithy/*` packages under it) left
 *    external, loaded at init from node_modules as the runtime's copy would be: the one difference is where
 *    the SDK comes from;
 *  - `naive`: everything bundled, the AWS SDK too, with esbuild's defaults (not minified, no alias, no map).
 * For each bundle: the size of the code file (KB = 1024 bytes; the source map is reported apart, it is in the
 * deployment package and read at init only with `--enable-source-maps`), what dominates it (esbuild's
 * metafile, grouped by npm package / project folder), and cold import time: a fresh `node` process per sample
 * imports the bundle between two `performance.now()` calls (median of N). `deployed` and `external` run with
 * `NODE_OPTIONS=--enable-source-maps`, as the functions do; `deployed` is also timed without it, to show what
 * the maps cost. Bundles are written under node_modules/.cache so that the external packages resolve from the
 * project's node_modules.
 *
 * Usage: npx tsx bench/bundles.ts [--samples 5] [--only register-case,send-notice] [--json bench/results/bundles.json]
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { build, type BuildOptions, type Metafile } from 'esbuild';

const execFileAsync = promisify(execFile);

export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));
export const LAMBDAS_DIR = join(PROJECT_ROOT, 'lambdas');

/**
 * Same values as ESM_REQUIRE_BANNER and BUNDLE_ALIASES in lib/procedure-function.ts (not imported: that module
 * pulls in aws-cdk-lib; test/bench/bundles.test.ts checks they match).
 */
export const ESM_REQUIRE_BANNER = 'import { createRequire } from "module";const require = createRequire(import.meta.url);';
export const BUNDLE_ALIASES: Readonly<Record<string, string>> = { '@aws-sdk/credential-provider-node': './lambdas/adapters/sdk-client-options.ts' };

/** Lambda runtime of lib/procedure-function.ts (Runtime.NODEJS_24_X); CDK passes `--target=node24` to esbuild. */
export const DEPLOYED_TARGET = 'node24';

/** Targets from the issue. */
export const TARGET_BUNDLE_KB = 250;
export const TARGET_INIT_MS = 100;

export type Variant = 'deployed' | 'external' | 'naive';
export const VARIANTS: readonly Variant[] = ['deployed', 'external', 'naive'];

export const VARIANT_LABEL: Record<Variant, string> = {
  deployed: 'lib/procedure-function.ts: ESM, minified, names kept, source map, AWS SDK bundled (credentials from the environment)',
  external: 'the same with the whole AWS SDK external, loaded from node_modules at init',
  naive: 'everything bundled with esbuild defaults: not minified, no source map, the SDK with its default credential chain',
};

/** esbuild options of one variant; `deployed` mirrors the `bundling` block of ProcedureFunction. */
export function buildOptions(variant: Variant, entry: string, outfile: string): BuildOptions & { metafile: true } {
  const common = {
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: DEPLOYED_TARGET,
    mainFields: ['module', 'main'],
    banner: { js: ESM_REQUIRE_BANNER },
    // CDK runs esbuild in the project root, which the aliases' relative paths start from.
    absWorkingDir: PROJECT_ROOT,
    metafile: true,
    logLevel: 'silent',
    write: true,
  } as const satisfies BuildOptions;
  switch (variant) {
    case 'deployed':
      return { ...common, minify: true, keepNames: true, sourcemap: true, sourcesContent: false, external: [], alias: { ...BUNDLE_ALIASES } };
    case 'external':
      return { ...buildOptions('deployed', entry, outfile), external: ['@aws-sdk/*'] };
    case 'naive':
      return { ...common, minify: false, external: [] };
  }
}

/** The Lambda entries: every lambdas/<name>/index.ts. */
export async function lambdaEntries(lambdasDir = LAMBDAS_DIR): Promise<{ name: string; entry: string }[]> {
  const dirs = await readdir(lambdasDir, { withFileTypes: true });
  const found: { name: string; entry: string }[] = [];
  for (const dir of dirs) {
    if (!dir.isDirectory()) continue;
    const entry = join(lambdasDir, dir.name, 'index.ts');
    if (await stat(entry).then(() => true, () => false)) found.push({ name: dir.name, entry });
  }
  return found.sort((a, b) => a.name.localeCompare(b.name));
}

/** Groups an input path of the metafile: an npm package (`zod`, `@aws-sdk/client-dynamodb`, `@smithy/*`) or a project folder. */
export function inputGroup(path: string): string {
  const nm = path.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = path.slice(nm + 'node_modules/'.length).split('/');
    const pkg = rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
    // The SDK's many @smithy/* and @aws-crypto/* packages are one dependency for the reader.
    if (pkg.startsWith('@smithy/')) return '@smithy/*';
    if (pkg.startsWith('@aws-crypto/')) return '@aws-crypto/*';
    return pkg;
  }
  const parts = path.split('/');
  const lambdas = parts.indexOf('lambdas');
  if (lambdas >= 0 && parts.length > lambdas + 1) return `lambdas/${parts[lambdas + 1]}`;
  return path;
}

/** Bytes of the output attributed to each group, largest first (from the metafile's `bytesInOutput`). */
export function sizeByGroup(metafile: Metafile): { group: string; bytes: number }[] {
  const totals = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [path, info] of Object.entries(output.inputs)) {
      const group = inputGroup(path);
      totals.set(group, (totals.get(group) ?? 0) + info.bytesInOutput);
    }
  }
  return [...totals].map(([group, bytes]) => ({ group, bytes })).sort((a, b) => b.bytes - a.bytes);
}

/** Bare-specifier imports left in the output (external packages; node: builtins excluded). */
export function externalImports(metafile: Metafile): string[] {
  const found = new Set<string>();
  for (const output of Object.values(metafile.outputs)) {
    for (const imp of output.imports) if (imp.external && !imp.path.startsWith('node:') && !['module', 'crypto', 'fs', 'path', 'url', 'util', 'os', 'stream', 'buffer', 'http', 'https', 'events', 'zlib', 'child_process', 'process', 'net', 'tls', 'dns', 'async_hooks', 'worker_threads', 'perf_hooks', 'string_decoder', 'querystring'].includes(imp.path)) found.add(imp.path);
  }
  return [...found].sort();
}

export const median = (values: readonly number[]): number => {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

const kb = (bytes: number): number => Math.round((bytes / 1024) * 10) / 10;

export interface InitStats {
  median: number;
  min: number;
  max: number;
  samples: number[];
}

export interface BundleResult {
  lambda: string;
  variant: Variant;
  bytes: number;
  kb: number;
  sourceMapKb: number | null;
  /** Packages the bundle imports at run time (left external), i.e. what the runtime must load at init. */
  externalImports: string[];
  /** Largest contributors to the output, KB. */
  top: { group: string; kb: number }[];
  /** Cold import as the function runs it: with `--enable-source-maps` when the bundle has a map. */
  initMs: InitStats | null;
  /** `deployed` only: cold import without `--enable-source-maps` (what the source maps cost at init). */
  initNoMapsMs?: InitStats | null;
  initError?: string;
}

/** Builds one variant of one entry into outDir; returns the bundle path, its size and the metafile. */
export async function buildBundle(variant: Variant, entry: string, outDir: string): Promise<{ file: string; bytes: number; mapBytes: number | null; metafile: Metafile }> {
  const file = join(outDir, `${variant}.mjs`);
  const result = await build(buildOptions(variant, entry, file));
  const bytes = (await stat(file)).size;
  const mapBytes = await stat(`${file}.map`).then((s) => s.size, () => null);
  return { file, bytes, mapBytes, metafile: result.metafile };
}

const CHILD_SCRIPT = `
const url = process.argv[1];
const t0 = performance.now();
await import(url);
const t1 = performance.now();
process.stdout.write(JSON.stringify({ ms: t1 - t0 }));
`;

/** Cold import time of a file in one fresh node process, milliseconds. */
export async function measureInitOnce(file: string, opts: { sourceMaps?: boolean } = {}): Promise<number> {
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: opts.sourceMaps ? '--enable-source-maps' : '', AWS_REGION: 'eu-central-1', LOG_LEVEL: 'WARN' };
  const { stdout } = await execFileAsync(process.execPath, ['--input-type=module', '-e', CHILD_SCRIPT, pathToFileURL(file).href], { env, cwd: dirname(file), timeout: 60_000 });
  return (JSON.parse(stdout) as { ms: number }).ms;
}

/** Cold import time of a file: one fresh node process per sample; milliseconds. */
export async function measureInit(file: string, samples: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < samples; i++) times.push(await measureInitOnce(file));
  return times;
}

/** The @aws-sdk packages the handlers import; `external` bundles load them from node_modules at init. */
export const EXTERNAL_SDK_PACKAGES = ['@aws-sdk/client-dynamodb', '@aws-sdk/client-ses', '@aws-sdk/client-sfn', '@aws-sdk/client-secrets-manager'] as const;

/**
 * Baseline: a fresh node process importing only the external SDK packages from node_modules (no project code),
 * from a file placed in `dir` so that resolution starts in the project. Milliseconds per sample.
 */
export async function measureSdkImport(dir: string, samples: number): Promise<number[]> {
  const file = join(dir, 'sdk-only.mjs');
  await writeFile(file, EXTERNAL_SDK_PACKAGES.map((p) => `import ${JSON.stringify(p)};`).join('\n'));
  return measureInit(file, samples);
}

export interface BundlesReport {
  generatedAt: string;
  node: string;
  samples: number;
  /** The machine, and its 1-minute load average before and after: init times are only comparable at similar load. */
  machine: { cpus: number; cpuModel: string; loadBefore: number; loadAfter: number };
  targets: { bundleKb: number; initMs: number };
  results: BundleResult[];
  /** Cold import of the SDK packages alone from node_modules (what `external` loads besides its bundle). */
  sdkOnlyInitMs: { median: number; samples: number[] } | null;
  /** What dominates the bundles, summed over every entry, per variant (KB). */
  dominant: Record<Variant, { group: string; kb: number }[]>;
}

const stats = (times: number[]): InitStats => ({ median: round1(median(times)), min: round1(Math.min(...times)), max: round1(Math.max(...times)), samples: times.map(round1) });

export async function runBundles(options: { samples?: number; only?: string[]; measure?: boolean; workDir?: string } = {}): Promise<BundlesReport> {
  const samples = options.samples ?? 5;
  const loadBefore = round1(loadavg()[0]!);
  const entries = (await lambdaEntries()).filter((e) => !options.only || options.only.includes(e.name));
  const cacheDir = options.workDir ?? join(PROJECT_ROOT, 'node_modules', '.cache');
  await mkdir(cacheDir, { recursive: true });
  const tmp = await mkdtemp(join(cacheDir, 'bench-bundles-'));
  const results: BundleResult[] = [];
  const totals = Object.fromEntries(VARIANTS.map((v) => [v, new Map<string, number>()])) as Record<Variant, Map<string, number>>;
  let sdkOnlyInitMs: BundlesReport['sdkOnlyInitMs'] = null;
  try {
    if (options.measure !== false) {
      const times = await measureSdkImport(tmp, samples);
      sdkOnlyInitMs = { median: round1(median(times)), samples: times.map(round1) };
    }
    for (const { name, entry } of entries) {
      const built = [];
      for (const variant of VARIANTS) built.push({ variant, ...(await buildBundle(variant, entry, join(tmp, name))) });
      // Every timing of this entry: each variant as the function runs it, and `deployed` without source maps.
      const runs = built.flatMap((b) => [
        { variant: b.variant, file: b.file, sourceMaps: b.mapBytes !== null, times: [] as number[] },
        ...(b.variant === 'deployed' ? [{ variant: b.variant, file: b.file, sourceMaps: false, times: [] as number[] }] : []),
      ]);
      const errors = new Map<Variant, string>();
      if (options.measure !== false) {
        // Round robin: a load spike on this shared machine then hits every variant alike, not one.
        for (let i = 0; i < samples; i++) {
          for (const run of runs) {
            if (errors.has(run.variant)) continue;
            try {
              run.times.push(await measureInitOnce(run.file, { sourceMaps: run.sourceMaps }));
            } catch (error) {
              errors.set(run.variant, String((error as Error).message ?? error).split('\n').slice(0, 3).join(' '));
            }
          }
        }
      }
      for (const b of built) {
        const groups = sizeByGroup(b.metafile);
        for (const g of groups) totals[b.variant].set(g.group, (totals[b.variant].get(g.group) ?? 0) + g.bytes);
        const timed = (sourceMaps: boolean) => {
          const run = runs.find((r) => r.variant === b.variant && r.sourceMaps === sourceMaps);
          return run && run.times.length === samples ? stats(run.times) : null;
        };
        const initError = errors.get(b.variant);
        results.push({
          lambda: name,
          variant: b.variant,
          bytes: b.bytes,
          kb: kb(b.bytes),
          sourceMapKb: b.mapBytes === null ? null : kb(b.mapBytes),
          externalImports: externalImports(b.metafile),
          top: groups.slice(0, 5).map((g) => ({ group: g.group, kb: kb(g.bytes) })),
          initMs: timed(b.mapBytes !== null),
          ...(b.variant === 'deployed' ? { initNoMapsMs: timed(false) } : {}),
          ...(initError ? { initError } : {}),
        });
      }
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  const dominant = Object.fromEntries(
    VARIANTS.map((v) => [v, [...totals[v]].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([group, bytes]) => ({ group, kb: kb(bytes) }))]),
  ) as BundlesReport['dominant'];
  return { generatedAt: new Date().toISOString(), node: process.version, samples, machine: { cpus: availableParallelism(), cpuModel: cpus()[0]?.model ?? 'unknown', loadBefore, loadAfter: round1(loadavg()[0]!) }, targets: { bundleKb: TARGET_BUNDLE_KB, initMs: TARGET_INIT_MS }, results, sdkOnlyInitMs, dominant };
}

const round1 = (n: number): number => Math.round(n * 10) / 10;

const pad = (s: string | number, n: number, right = false): string => (right ? String(s).padStart(n) : String(s).padEnd(n));

/** `other` / `base`, two decimals ('-' when either is missing). */
const ratio = (other: number | undefined, base: number | undefined): string => (other !== undefined && base ? (other / base).toFixed(2) : '-');

/** The tables printed by the CLI. */
export function formatBundles(report: BundlesReport): string {
  const lines: string[] = [];
  const byLambda = new Map<string, Partial<Record<Variant, BundleResult>>>();
  for (const r of report.results) byLambda.set(r.lambda, { ...byLambda.get(r.lambda), [r.variant]: r });
  const ms = (r: BundleResult | undefined, init: InitStats | null | undefined) => (init ? init.median.toFixed(1) : r?.initError ? 'ERR' : '-');
  lines.push(`Bundles (KB = 1024 B, code file only, source map apart; init = median cold import in ${report.samples} fresh node ${report.node} processes, ms)`);
  // Columns under a group heading: [group, [heading, width, cell of one lambda]...].
  type Cell = (v: Partial<Record<Variant, BundleResult>>) => string | number;
  const groups: [string, [string, number, Cell][]][] = [
    ['', [['lambda', 26, () => '']]],
    ['deployed', [['KB', 7, (v) => v.deployed?.kb ?? '-'], ['map KB', 7, (v) => v.deployed?.sourceMapKb ?? '-'], ['init', 7, (v) => ms(v.deployed, v.deployed?.initMs)], ['no map', 7, (v) => ms(v.deployed, v.deployed?.initNoMapsMs)]]],
    ['external', [['KB', 7, (v) => v.external?.kb ?? '-'], ['init', 7, (v) => ms(v.external, v.external?.initMs)]]],
    ['naive', [['KB', 7, (v) => v.naive?.kb ?? '-'], ['init', 7, (v) => ms(v.naive, v.naive?.initMs)]]],
    ['external ÷ deployed', [['KB', 9, (v) => ratio(v.external?.bytes, v.deployed?.bytes)], ['init', 9, (v) => ratio(v.external?.initMs?.median, v.deployed?.initMs?.median)]]],
    ['naive ÷ deployed', [['KB', 8, (v) => ratio(v.naive?.bytes, v.deployed?.bytes)], ['init', 8, (v) => ratio(v.naive?.initMs?.median, v.deployed?.initMs?.median)]]],
  ];
  const sep = ' | ';
  lines.push(groups.map(([group, cols]) => pad(group, cols.reduce((w, [, width]) => w + width + 1, -1))).join(sep));
  lines.push(groups.map(([, cols], i) => cols.map(([heading, width]) => pad(heading, width, i > 0)).join(' ')).join(sep) + `${sep}deployed vs targets`);
  for (const [lambda, v] of byLambda) {
    const d = v.deployed;
    const sizeOk = d ? d.kb < report.targets.bundleKb : false;
    const initOk = d?.initMs ? d.initMs.median < report.targets.initMs : false;
    const cells = groups.map(([, cols], i) => cols.map(([, width, cell]) => (i === 0 ? pad(lambda, width) : pad(cell(v), width, true))).join(' ')).join(sep);
    lines.push(`${cells}${sep}size ${sizeOk ? 'ok' : 'OVER'}, init ${d?.initMs ? (initOk ? 'ok' : 'OVER') : '?'}`);
  }
  for (const variant of VARIANTS) lines.push(`${pad(variant, 9)} ${VARIANT_LABEL[variant]}`);
  lines.push(`init: deployed and external with --enable-source-maps, as the functions run; "no map": deployed without it; naive has no map.`);
  lines.push(`÷ = that build's value divided by the deployed one. Targets: every deployed bundle < ${report.targets.bundleKb} KB and init < ${report.targets.initMs} ms.`);
  const importing = report.results.filter((r) => r.variant === 'deployed' && r.externalImports.length > 0);
  lines.push(
    importing.length === 0
      ? 'Deployed bundles import no package at run time (Node built-ins only).'
      : `Deployed bundles importing packages at run time: ${importing.map((r) => `${r.lambda} (${r.externalImports.join(', ')})`).join('; ')}`,
  );
  lines.push(`Machine: ${report.machine.cpus} × ${report.machine.cpuModel}, load average ${report.machine.loadBefore} → ${report.machine.loadAfter} (init times are noisy under load).`);
  if (report.sdkOnlyInitMs) {
    lines.push(`Baseline: importing only ${EXTERNAL_SDK_PACKAGES.join(', ')} from node_modules takes ${report.sdkOnlyInitMs.median.toFixed(1)} ms (median).`);
  }
  lines.push('');
  for (const variant of VARIANTS) {
    if (!report.dominant[variant]?.length) continue;
    lines.push(`What dominates (${variant}), KB summed over all entries: ${report.dominant[variant].map((g) => `${g.group} ${g.kb}`).join(', ')}`);
  }
  const errors = report.results.filter((r) => r.initError);
  for (const r of errors) lines.push(`init error ${r.lambda}/${r.variant}: ${r.initError}`);
  return lines.join('\n');
}

function argValue(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const samples = Number(argValue(args, '--samples') ?? 5);
  const only = argValue(args, '--only')?.split(',');
  const jsonPath = argValue(args, '--json') ?? join(PROJECT_ROOT, 'bench', 'results', 'bundles.json');
  const report = await runBundles({ samples, only });
  console.log(formatBundles(report));
  await mkdir(dirname(jsonPath), { recursive: true });
  await writeFile(jsonPath, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\nwrote ${relative(process.cwd(), jsonPath)}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
