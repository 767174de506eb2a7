import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { percentiles, type WaveResult } from './wave.js';

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const ms = (v: number) => `${v.toFixed(1)} ms`;

/** The human-readable table (stdout). */
export function formatTable(r: WaveResult): string {
  const perCase = (n: number) => (r.casesCompleted ? (n / r.casesCompleted).toFixed(1) : '-');
  const rows: [string, string][] = [
    ['cases (completed / requested)', `${r.casesCompleted} / ${r.options.cases}`],
    ['concurrency (cases in flight)', String(r.options.concurrency)],
    ['Lambda worker threads', String(r.options.lambdaWorkers)],
    ['variants (with / without migration)', `${r.variants.WITH_MIGRATION} / ${r.variants.WITHOUT_MIGRATION}`],
    ['voivodeships', String(r.voivodeships)],
    ['wall time', `${(r.wallTimeMs / 1000).toFixed(2)} s`],
    ['cases/s', r.casesPerSecond.toFixed(2)],
    ['state transitions', String(r.stateTransitions)],
    ['state transitions/s', r.stateTransitionsPerSecond.toFixed(1)],
    ['executions started', String(r.executionsStarted)],
    ['e-mails seen (polls, transferred)', `${r.emails.seen} (${r.emails.polls}, ${r.emails.transferred})`],
    ['POST confirm → next e-mail p50', ms(r.handoverLatencyMs.p50)],
    ['POST confirm → next e-mail p95', ms(r.handoverLatencyMs.p95)],
    ['POST confirm → next e-mail p99', ms(r.handoverLatencyMs.p99)],
    ['POST confirm → next e-mail max', ms(r.handoverLatencyMs.max)],
    ['hand-overs measured', String(r.handoverLatencyMs.count)],
    ['case duration p50 / p95 / max', `${(r.caseDurationMs.p50 / 1000).toFixed(1)} / ${(r.caseDurationMs.p95 / 1000).toFixed(1)} / ${(r.caseDurationMs.max / 1000).toFixed(1)} s`],
    ...(r.sesQuota
      ? ([
          ['SES quota', `${r.sesQuota.ratePerSecond} recipients/s`],
          ['SES accepted: messages (recipients)', `${r.sesQuota.accepted} (${r.sesQuota.acceptedRecipients})`],
          ['SES refused for the rate', `${r.sesQuota.throttledAttempts} attempts (${(r.sesQuota.refusedShare * 100).toFixed(2)} % of messages)`],
          ['least time the quota allows', `${(r.sesQuota.quotaFloorMs / 1000).toFixed(1)} s (accepted recipients / quota)`],
          ['delay beyond the quota', `${((r.wallTimeMs - r.sesQuota.quotaFloorMs) / 1000).toFixed(1)} s (${(r.sesQuota.overFloorShare * 100).toFixed(2)} %)`],
          ['effective sending rate', `${r.sesQuota.effectiveRatePerSecond} recipients/s`],
        ] as [string, string][])
      : []),
    ['function errors (Lambda Errors)', Object.entries(r.functionErrors).map(([name, n]) => `${name} ${n}`).join(', ') || '0'],
    ['outbox SQS requests per case', `${perCase(r.sqs.billed)} billed (${Object.entries(r.sqs.requests).map(([action, n]) => `${action} ${perCase(n)}`).join(', ')})`],
    ['peak RSS (all processes)', mb(r.peakRssBytes)],
    ['  stack / dynalite / SES / SQS stand-in', `${mb(r.peakRssByProcessBytes.stack)} / ${mb(r.peakRssByProcessBytes.dynamodb)} / ${mb(r.peakRssByProcessBytes.ses)} / ${mb(r.peakRssByProcessBytes.sqs)}`],
    ['CPU per case: stack / dynalite / SES / SQS', `${r.cpuMsPerCase.stack} / ${r.cpuMsPerCase.dynamodb} / ${r.cpuMsPerCase.ses} / ${r.cpuMsPerCase.sqs} ms (${r.cpuMsPerCase.stack + r.cpuMsPerCase.dynamodb + r.cpuMsPerCase.ses + r.cpuMsPerCase.sqs} ms in all, on ${r.environment.cpus} cores)`],
    ['DynamoDB reads / writes per case', `${perCase(r.dynamodb.reads)} / ${perCase(r.dynamodb.writes)} (${perCase(r.dynamodb.readUnits)} RRU / ${perCase(r.dynamodb.writeUnits)} WRU)`],
    ...(r.costPerCase ? ([['cost per completed case on AWS', `$${r.costPerCase.cost.totalUsd.toFixed(5)} (target $${r.costPerCase.cost.targetUsd}; counted here, priced by bench/cost.ts)`]] as [string, string][]) : []),
    ['errors', String(r.errors.length)],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  const lines = rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`);
  const stepRows = Object.entries(r.handoverLatencyByStepMs).map(([step, p]) => `  ${step.padEnd(28)} p50 ${ms(p.p50).padStart(10)}  p95 ${ms(p.p95).padStart(10)}  p99 ${ms(p.p99).padStart(10)}  n=${p.count}`);
  const lambdaRows = Object.entries(r.lambdaInvocations).map(([name, n]) => `  ${name.padEnd(28)} ${String(n).padStart(7)} calls  ${ms((r.lambdaDurationMs[name] ?? 0) / Math.max(1, n)).padStart(10)} mean`);
  return [
    r.sesQuota ? `National wave on the local stack, SES quota ${r.sesQuota.ratePerSecond} recipients/s` : 'National wave on the local stack',
    '-'.repeat(width + 20),
    ...lines,
    '',
    'hand-over latency by step:',
    ...stepRows,
    '',
    'local lambdas:',
    ...lambdaRows,
    ...(r.costPerCase
      ? ['', `cost of one completed case on AWS (${r.costPerCase.counted.label}):`, ...r.costPerCase.cost.lines.filter((l) => l.usd > 0).map((l) => `  ${l.service.padEnd(34)} ${(l.quantity < 1 ? l.quantity.toExponential(2) : l.quantity.toFixed(2)).padStart(10)} × $${l.unitUsd.toExponential(3)} = $${l.usd.toFixed(6)}`)]
      : []),
    ...(r.errors.length ? ['', `errors (first 10 of ${r.errors.length}):`, ...r.errors.slice(0, 10).map((e) => `  ${e.message}`)] : []),
  ].join('\n');
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function niceStep(max: number, ticks: number): number {
  const raw = max / ticks;
  const pow = 10 ** Math.floor(Math.log10(raw || 1));
  return ([1, 2, 5, 10].map((m) => m * pow).find((s) => s >= raw) ?? 10 * pow) || 1;
}

/**
 * Latency over the run, by hand: every hand-over as a dot (x = when its POST was sent, y = latency), and the
 * p50/p95/p99 of each time bucket as lines. The y axis is capped at the run's p99 × 1.5 (dots above sit on the edge).
 */
export function renderSvg(r: WaveResult): string {
  const W = 960;
  const H = 480;
  const m = { left: 70, right: 170, top: 40, bottom: 50 };
  const pw = W - m.left - m.right;
  const ph = H - m.top - m.bottom;
  const samples = r.samples;
  const xMaxMs = Math.max(1, r.wallTimeMs, ...samples.map((s) => s[0]));
  const yCap = Math.max(1, r.handoverLatencyMs.max <= r.handoverLatencyMs.p99 * 1.5 ? r.handoverLatencyMs.max : r.handoverLatencyMs.p99 * 1.5);
  const yStep = niceStep(yCap, 6);
  const yMax = Math.ceil(yCap / yStep) * yStep;
  const xStepS = niceStep(xMaxMs / 1000, 8);
  const xMax = Math.ceil(xMaxMs / 1000 / xStepS) * xStepS * 1000;
  const x = (t: number) => m.left + (t / xMax) * pw;
  const y = (v: number) => m.top + ph - (Math.min(v, yMax) / yMax) * ph;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  out.push(`<text x="${m.left}" y="22" font-size="15" font-weight="bold">${esc(`National wave: ${r.casesCompleted}/${r.options.cases} cases, concurrency ${r.options.concurrency}, ${(r.wallTimeMs / 1000).toFixed(1)} s, ${r.errors.length} errors`)}</text>`);
  for (let v = 0; v <= yMax + 1e-9; v += yStep) {
    out.push(`<line x1="${m.left}" x2="${m.left + pw}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${m.left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${v >= 1000 ? `${(v / 1000).toFixed(v % 1000 ? 1 : 0)} s` : `${v} ms`}</text>`);
  }
  for (let t = 0; t <= xMax + 1e-9; t += xStepS * 1000) {
    out.push(`<line x1="${x(t).toFixed(1)}" x2="${x(t).toFixed(1)}" y1="${m.top}" y2="${m.top + ph}" stroke="#f0f0f0"/>`);
    out.push(`<text x="${x(t).toFixed(1)}" y="${m.top + ph + 16}" text-anchor="middle">${+(t / 1000).toFixed(2)} s</text>`);
  }
  out.push(`<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`);
  out.push(`<text x="${m.left + pw / 2}" y="${H - 12}" text-anchor="middle">time since the wave started (POST sent)</text>`);
  out.push(`<text transform="translate(16 ${m.top + ph / 2}) rotate(-90)" text-anchor="middle">POST confirm → next participant's e-mail</text>`);
  // Dots, at most ~6000 (evenly thinned).
  const stride = Math.max(1, Math.ceil(samples.length / 6000));
  out.push('<g fill="#4a7ebb" fill-opacity="0.35">');
  for (let i = 0; i < samples.length; i += stride) {
    const [t, v] = samples[i]!;
    out.push(`<circle cx="${x(t).toFixed(1)}" cy="${y(v).toFixed(1)}" r="1.6"/>`);
  }
  out.push('</g>');
  // Percentile lines per time bucket.
  const buckets = Math.max(1, Math.min(60, Math.floor(samples.length / 20)));
  const width = xMaxMs / buckets;
  const series: Record<'p50' | 'p95' | 'p99', string[]> = { p50: [], p95: [], p99: [] };
  for (let b = 0; b < buckets; b++) {
    const inBucket = samples.filter((s) => s[0] >= b * width && (b === buckets - 1 ? true : s[0] < (b + 1) * width)).map((s) => s[1]);
    if (!inBucket.length) continue;
    const p = percentiles(inBucket);
    const cx = x((b + 0.5) * width).toFixed(1);
    series.p50.push(`${cx},${y(p.p50).toFixed(1)}`);
    series.p95.push(`${cx},${y(p.p95).toFixed(1)}`);
    series.p99.push(`${cx},${y(p.p99).toFixed(1)}`);
  }
  const colors = { p50: '#2a9d4b', p95: '#e08a00', p99: '#c8322b' } as const;
  for (const key of ['p50', 'p95', 'p99'] as const) {
    if (series[key].length) out.push(`<polyline fill="none" stroke="${colors[key]}" stroke-width="2" points="${series[key].join(' ')}"/>`);
  }
  // Legend with the whole run's percentiles.
  const lx = m.left + pw + 16;
  const legend: [string, string][] = [
    ['#4a7ebb', `hand-over (n=${r.handoverLatencyMs.count})`],
    [colors.p50, `p50 ${r.handoverLatencyMs.p50.toFixed(0)} ms`],
    [colors.p95, `p95 ${r.handoverLatencyMs.p95.toFixed(0)} ms`],
    [colors.p99, `p99 ${r.handoverLatencyMs.p99.toFixed(0)} ms`],
  ];
  legend.forEach(([color, label], i) => {
    const ly = m.top + 10 + i * 20;
    out.push(`<rect x="${lx}" y="${ly - 9}" width="12" height="12" fill="${color}"/>`);
    out.push(`<text x="${lx + 18}" y="${ly + 1}">${esc(label)}</text>`);
  });
  const extra = [`${r.casesPerSecond.toFixed(2)} cases/s`, `${r.stateTransitionsPerSecond.toFixed(0)} transitions/s`, `peak RSS ${mb(r.peakRssBytes)}`, `lines: per-bucket percentiles`];
  extra.forEach((line, i) => out.push(`<text x="${lx}" y="${m.top + 110 + i * 18}" fill="#444">${esc(line)}</text>`));
  out.push('</svg>');
  return out.join('\n') + '\n';
}

/** Writes `<dir>/national-wave-<cases>-<timestamp>.json` and `.svg`; returns their paths. */
export async function writeResults(r: WaveResult, dir: string): Promise<{ json: string; svg: string }> {
  await mkdir(dir, { recursive: true });
  const base = join(dir, `national-wave-${r.options.cases}${r.options.sesRate ? `-ses${r.options.sesRate}` : ''}-${r.startedAt.replace(/[:.]/g, '-')}`);
  const json = `${base}.json`;
  const svg = `${base}.svg`;
  const { samples, steps, ...summary } = r;
  await writeFile(json, JSON.stringify({ ...summary, table: formatTable(r).split('\n'), steps, samples }, null, 1) + '\n');
  await writeFile(svg, renderSvg(r));
  return { json, svg };
}
