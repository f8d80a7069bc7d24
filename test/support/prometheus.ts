/** One sample of the Prometheus text format: `name{labels} value`. */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** Parses the Prometheus text exposition format (what /metrics serves); comments are skipped. */
export function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (m === null) throw new Error(`not a Prometheus sample: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[l[1] ?? ''] = (l[2] ?? '').replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    }
    samples.push({ name: m[1] ?? '', labels, value: Number(m[3]) });
  }
  return samples;
}

/** The samples of one metric whose labels include all of `labels`. */
export function samplesOf(
  samples: readonly Sample[],
  name: string,
  labels: Readonly<Record<string, string>> = {},
): Sample[] {
  return samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
}

/** The value of the one sample matching exactly; undefined when there is none; throws when several match. */
export function valueOf(
  samples: readonly Sample[],
  name: string,
  labels: Readonly<Record<string, string>> = {},
): number | undefined {
  const found = samplesOf(samples, name, labels);
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return found[0]?.value;
}

/** Scrapes a controller's /metrics. */
export async function scrape(healthzPort: number): Promise<Sample[]> {
  const res = await fetch(`http://127.0.0.1:${healthzPort}/metrics`);
  if (!res.ok) throw new Error(`/metrics answered ${res.status}`);
  return parseMetrics(await res.text());
}

/**
 * A scrape once the traffic metrics have settled: NGINX writes the metrics log in blocks at least every
 * second (ADR 0015), so requests answered just before are counted up to about 1.25 s later. Scrapes 1.5 s
 * apart until the count of log lines stays the same.
 */
export async function settledScrape(healthzPort: number): Promise<Sample[]> {
  const lines = (s: Sample[]): number | undefined =>
    valueOf(s, 'gatehouse_traffic_log_lines_total', { outcome: 'counted' });
  let last = await scrape(healthzPort);
  for (;;) {
    await new Promise((r) => setTimeout(r, 1500));
    const now = await scrape(healthzPort);
    if (lines(now) === lines(last)) return now;
    last = now;
  }
}
