/**
 * Bundle size and cold-initialisation benchmark of every Lambda entry (lambdas/<name>/index.ts).
 *
 * Each entry is built with esbuild three ways:
 *  - `deployed`: the options of lib/procedure-function.ts (ESM, minify, keepNames, source map, node target of
 *    the runtime, mainFields module/main, `@aws-sdk/*` external, createRequire banner);
 *  - `external`: the same without minification (AWS SDK still left to the runtime);
 *  - `naive`: everything bundled, the AWS SDK too, not minified.
 * For each bundle: the size of the code file (KB = 1024 bytes; the source map is reported apart, it is in the
 * deployment package but never loaded unless `--enable-source-maps` reads it), what dominates it (esbuild's
 * metafile, grouped by npm package / project folder), and cold import time: a fresh `node` process per sample
 * imports the bundle between two `performance.now()` calls (median of N). For `deployed` the child runs with
 * `NODE_OPTIONS=--enable-source-maps`, as the functions do. Bundles are written under node_modules/.cache so
 * that the external `@aws-sdk/*` packages resolve from the project's node_modules, as the Lambda runtime
 * provides them.
 *
 * Usage: npx tsx bench/bundles.ts [--samples 5] [--only register-case,send-notice] [--json bench/results/bundles.json]
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { build, type BuildOptions, type Metafile, type Plugin } from 'esbuild';

const execFileAsync = promisify(execFile);

export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));
export const LAMBDAS_DIR = join(PROJECT_ROOT, 'lambdas');

/** Same string as ESM_REQUIRE_BANNER in lib/procedure-function.ts (not imported: that module pulls in aws-cdk-lib). */
export const ESM_REQUIRE_BANNER = 'import { createRequire } from "module";const require = createRequire(import.meta.url);';

/** Lambda runtime of lib/procedure-function.ts (Runtime.NODEJS_24_X); CDK passes `--target=node24` to esbuild. */
export const DEPLOYED_TARGET = 'node24';

/** Targets from the issue. */
export const TARGET_BUNDLE_KB = 250;
export const TARGET_INIT_MS = 100;

export type Variant = 'deployed' | 'external' | 'naive' | 'deployed-zod-ns' | 'sdk-bundled' | 'sdk-bundled-zod-ns';
/**
 * The three builds of the brief, plus what-ifs (nothing in the sources changes):
 * - `deployed-zod-ns`: the deployed build with every `import { z } from 'zod'` of the project read as
 *   `import * as z from 'zod'` (an esbuild onLoad rewrite). The named `z` import makes esbuild keep zod's whole
 *   namespace object, all of its locales included;
 * - `sdk-bundled`: the deployed build with the AWS SDK bundled (and minified) instead of left to the runtime;
 * - `sdk-bundled-zod-ns`: both.
 */
export const VARIANTS: readonly Variant[] = ['deployed', 'external', 'naive', 'deployed-zod-ns', 'sdk-bundled', 'sdk-bundled-zod-ns'];
export const BRIEF_VARIANTS: readonly Variant[] = ['deployed', 'external', 'naive'];
export const WHAT_IF_VARIANTS: readonly Variant[] = ['deployed-zod-ns', 'sdk-bundled', 'sdk-bundled-zod-ns'];

export const VARIANT_LABEL: Record<Variant, string> = {
  deployed: 'as deployed (ESM, minified, @aws-sdk/* external)',
  external: 'AWS SDK external, not minified',
  naive: 'naive (everything bundled, not minified)',
  'deployed-zod-ns': "what-if: as deployed, with `import * as z from 'zod'`",
  'sdk-bundled': 'what-if: as deployed, with the AWS SDK bundled (minified)',
  'sdk-bundled-zod-ns': 'what-if: AWS SDK bundled and `import * as z`',
};

/** Matches the project's value import of zod's `z` (type-only imports are erased by esbuild anyway). */
export const NAMED_Z_IMPORT = /import\s*\{\s*z\s*\}\s*from\s*(['"])zod\1/g;

/** esbuild plugin of the what-if variant: reads project sources with `import * as z from 'zod'`. */
export const zodNamespacePlugin: Plugin = {
  name: 'zod-namespace-import',
  setup(b) {
    b.onLoad({ filter: /[\\/]lambdas[\\/].*\.ts$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      return { contents: source.replace(NAMED_Z_IMPORT, "import * as z from 'zod'"), loader: 'ts' };
    });
  },
};

/** esbuild options of one variant; mirrors the `bundling` block of ProcedureFunction. */
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
    metafile: true,
    logLevel: 'silent',
    write: true,
  } as const satisfies BuildOptions;
  switch (variant) {
    case 'deployed':
      return { ...common, minify: true, keepNames: true, sourcemap: true, sourcesContent: false, external: ['@aws-sdk/*'] };
    case 'external':
      return { ...common, minify: false, external: ['@aws-sdk/*'] };
    case 'naive':
      return { ...common, minify: false, external: [] };
    case 'deployed-zod-ns':
      return { ...buildOptions('deployed', entry, outfile), plugins: [zodNamespacePlugin] };
    case 'sdk-bundled':
      return { ...buildOptions('deployed', entry, outfile), external: [] };
    case 'sdk-bundled-zod-ns':
      return { ...buildOptions('deployed', entry, outfile), external: [], plugins: [zodNamespacePlugin] };
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
  initMs: { median: number; min: number; max: number; samples: number[] } | null;
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

/** Cold import time of a bundle: one fresh node process per sample; milliseconds. */
export async function measureInit(file: string, samples: number, opts: { sourceMaps?: boolean } = {}): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const env: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: opts.sourceMaps ? '--enable-source-maps' : '', AWS_REGION: 'eu-central-1', LOG_LEVEL: 'WARN' };
    const { stdout } = await execFileAsync(process.execPath, ['--input-type=module', '-e', CHILD_SCRIPT, pathToFileURL(file).href], { env, cwd: dirname(file), timeout: 60_000 });
    times.push((JSON.parse(stdout) as { ms: number }).ms);
  }
  return times;
}

/** The @aws-sdk packages the handlers import; the runtime provides them when they are left external. */
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
  /** Cold import of the external SDK packages alone (what `deployed` loads from the runtime besides the bundle). */
  sdkOnlyInitMs: { median: number; samples: number[] } | null;
  /** What dominates the bundles, summed over every entry, per variant (KB). */
  dominant: Record<Variant, { group: string; kb: number }[]>;
}

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
      for (const variant of VARIANTS) {
        const outDir = join(tmp, name);
        const built = await buildBundle(variant, entry, outDir);
        const groups = sizeByGroup(built.metafile);
        for (const g of groups) totals[variant].set(g.group, (totals[variant].get(g.group) ?? 0) + g.bytes);
        let initMs: BundleResult['initMs'] = null;
        let initError: string | undefined;
        if (options.measure !== false) {
          try {
            const times = await measureInit(built.file, samples, { sourceMaps: variant !== 'external' && variant !== 'naive' });
            initMs = { median: round1(median(times)), min: round1(Math.min(...times)), max: round1(Math.max(...times)), samples: times.map(round1) };
          } catch (error) {
            initError = String((error as Error).message ?? error).split('\n').slice(0, 3).join(' ');
          }
        }
        results.push({
          lambda: name,
          variant,
          bytes: built.bytes,
          kb: kb(built.bytes),
          sourceMapKb: built.mapBytes === null ? null : kb(built.mapBytes),
          externalImports: externalImports(built.metafile),
          top: groups.slice(0, 5).map((g) => ({ group: g.group, kb: kb(g.bytes) })),
          initMs,
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

/** The tables printed by the CLI. */
export function formatBundles(report: BundlesReport): string {
  const lines: string[] = [];
  const byLambda = new Map<string, Partial<Record<Variant, BundleResult>>>();
  for (const r of report.results) byLambda.set(r.lambda, { ...byLambda.get(r.lambda), [r.variant]: r });
  const ms = (r?: BundleResult) => (r?.initMs ? r.initMs.median.toFixed(1) : r?.initError ? 'ERR' : '-');
  lines.push(`Bundles (KB = 1024 B, code file only, source map apart; init = median cold import in ${report.samples} fresh node ${report.node} processes, ms)`);
  lines.push(
    [pad('lambda', 26), pad('deployed KB', 12, true), pad('map KB', 7, true), pad('init ms', 8, true), pad('ext KB', 8, true), pad('init ms', 8, true), pad('naive KB', 9, true), pad('init ms', 8, true), pad('KB ×', 5, true), pad('init ×', 7, true), '  deployed vs targets'].join(' '),
  );
  for (const [lambda, v] of byLambda) {
    const d = v.deployed;
    const n = v.naive;
    const sizeRatio = d && n ? (n.bytes / d.bytes).toFixed(1) : '-';
    const initRatio = d?.initMs && n?.initMs ? (n.initMs.median / d.initMs.median).toFixed(2) : '-';
    const sizeOk = d ? d.kb < report.targets.bundleKb : false;
    const initOk = d?.initMs ? d.initMs.median < report.targets.initMs : false;
    lines.push(
      [
        pad(lambda, 26),
        pad(d?.kb ?? '-', 12, true),
        pad(d?.sourceMapKb ?? '-', 7, true),
        pad(ms(d), 8, true),
        pad(v.external?.kb ?? '-', 8, true),
        pad(ms(v.external), 8, true),
        pad(n?.kb ?? '-', 9, true),
        pad(ms(n), 8, true),
        pad(sizeRatio, 5, true),
        pad(initRatio, 7, true),
        `  size ${sizeOk ? 'ok' : 'OVER'}, init ${d?.initMs ? (initOk ? 'ok' : 'OVER') : '?'}`,
      ].join(' '),
    );
  }
  const deployed = report.results.filter((r) => r.variant === 'deployed');
  if (deployed.length > 0) {
    lines.push('SDK packages each deployed bundle imports at init (external):');
    for (const r of deployed) lines.push(`  ${pad(r.lambda, 26)} ${r.externalImports.join(', ') || '(none)'}`);
  }
  lines.push(`Machine: ${report.machine.cpus} × ${report.machine.cpuModel}, load average ${report.machine.loadBefore} → ${report.machine.loadAfter} (init times are noisy under load).`);
  lines.push(`× = naive / as deployed. Targets: every deployed bundle < ${report.targets.bundleKb} KB and init < ${report.targets.initMs} ms.`);
  if (report.sdkOnlyInitMs) {
    lines.push(`Baseline: importing only ${EXTERNAL_SDK_PACKAGES.join(', ')} from node_modules takes ${report.sdkOnlyInitMs.median.toFixed(1)} ms (median).`);
  }
  const whatIf = WHAT_IF_VARIANTS.filter((w) => report.results.some((r) => r.variant === w));
  if (whatIf.length > 0) {
    lines.push('');
    lines.push('What-ifs (built from the same sources, not deployed today; init with --enable-source-maps like deployed):');
    lines.push([pad('lambda', 26), ...whatIf.flatMap((w) => [pad(`${w} KB`, 22, true), pad('init ms', 8, true)])].join(' '));
    for (const [lambda, v] of byLambda) {
      lines.push([pad(lambda, 26), ...whatIf.flatMap((w) => [pad(v[w]?.kb ?? '-', 22, true), pad(ms(v[w]), 8, true)])].join(' '));
    }
    for (const w of whatIf) lines.push(`  ${w}: ${VARIANT_LABEL[w]}`);
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
