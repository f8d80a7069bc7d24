// A metrics log line as NGINX writes it (log_format gatehouse_metrics: `gh1`, then TRAFFIC_LOG_FIELDS in
// order, tab-separated, `-` for an empty value), optionally wrapped as the syslog message NGINX sends.
import { TRAFFIC_LOG_MARK } from '../../src/observability/traffic-log.ts';

export interface MetricsLineFields {
  c: string;
  r: string;
  m: string;
  s: string;
  rt: string;
  rl: string;
  bs: string;
  us: string;
  uc: string;
  uh: string;
  ur: string;
  p: string;
  t: string;
  sr: string;
  cr: string;
  cn: string;
  ne: string;
}

/** A plain-HTTP GET answered 200 by one pod, on a new connection. */
const TYPICAL: MetricsLineFields = {
  c: 'abc',
  r: '3',
  m: 'GET',
  s: '200',
  rt: '0.010',
  rl: '80',
  bs: '300',
  us: '200',
  uc: '0.001',
  uh: '0.009',
  ur: '0.009',
  p: 'HTTP/1.1',
  t: '-',
  sr: '.',
  cr: '1',
  cn: '-',
  ne: '',
};

/** The line for `fields` (over a typical request's); `syslog`: as NGINX's syslog message. */
export function metricsLine(fields: Partial<MetricsLineFields> = {}, syslog = true): string {
  const f = { ...TYPICAL, ...fields };
  const line = [
    TRAFFIC_LOG_MARK,
    f.c,
    f.r,
    f.m,
    f.s,
    f.rt,
    f.rl,
    f.bs,
    f.us,
    f.uc,
    f.uh,
    f.ur,
    f.p,
    f.t,
    f.sr,
    f.cr,
    f.cn,
    f.ne,
  ].join('\t');
  return syslog ? `<190>Dec  1 03:34:36 nginx: ${line}` : line;
}
