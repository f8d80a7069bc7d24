import { z } from 'zod';

/** Value shapes several families share. Each message says what a good value looks like. */

export const bool = z
  .enum(['true', 'false'], { error: 'must be "true" or "false"' })
  .transform((v) => v === 'true');

export const onOff = z.enum(['on', 'off'], { error: 'must be "on" or "off"' }).transform((v) => v === 'on');

export const seconds = z
  .string()
  .regex(/^\d{1,4}s?$/, 'must be a whole number of seconds (1-3600), optionally ending in "s"')
  .transform((v) => Number(v.replace(/s$/, '')))
  .refine((n) => n >= 1 && n <= 3600, { message: 'must be between 1 and 3600 seconds' });

/** An NGINX size, printed in lower case. */
export const size = z
  .string()
  .regex(/^(0|[1-9]\d{0,5}[kKmMgG]?)$/, 'must be a size such as 0, 512k, 8m or 1g')
  .transform((v) => v.toLowerCase());
