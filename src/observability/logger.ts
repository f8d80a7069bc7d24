import winston from 'winston';

export type LogFormat = 'text' | 'json';

/** Builds the root logger. Only the CLI calls this; everything else receives a logger (or a child). */
export function createLogger(options: { level: string; format: LogFormat }): winston.Logger {
  const format =
    options.format === 'json'
      ? winston.format.combine(winston.format.timestamp(), winston.format.json())
      : winston.format.combine(
          winston.format.timestamp(),
          winston.format.printf((info) => {
            const { level, message, timestamp, ...meta } = info;
            const extra = Object.keys(meta).length > 0 ? ` ${JSON.stringify(meta)}` : '';
            return `${String(timestamp)} ${level} ${String(message)}${extra}`;
          }),
        );
  return winston.createLogger({
    level: options.level,
    format,
    // A log line that cannot be written (stderr closed: EPIPE) is lost, not fatal.
    exitOnError: false,
    // Logs go to stderr; stdout belongs to NGINX's access log and to `gatehouse render`.
    transports: [
      new winston.transports.Console({
        stderrLevels: ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'],
      }),
    ],
  });
}
