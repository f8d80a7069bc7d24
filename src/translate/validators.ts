import { z } from 'zod';

/**
 * Every user-supplied string that reaches nginx.conf passes one of these first. They are deliberately
 * narrower than Kubernetes allows where NGINX would need quoting (see README, "What Gatehouse accepts").
 */

const dnsLabel = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** RFC 1123 subdomain: namespaces-with-dots names such as Secrets and Ingresses. */
export const dnsSubdomain = z
  .string()
  .max(253)
  .refine((s) => s.split('.').every((label) => dnsLabel.test(label)), {
    message: 'must be a lowercase RFC 1123 DNS name (letters, digits, "-" and ".")',
  });

/** RFC 1123 label: namespaces and Service names. */
export const dnsLabelName = z.string().regex(dnsLabel, 'must be a lowercase RFC 1123 DNS label');

/** An Ingress host: a DNS name, or `*.` followed by one (the wildcard stands for exactly one label). */
export const ingressHost = z
  .string()
  .max(253)
  .refine(
    (s) => {
      const rest = s.startsWith('*.') ? s.slice(2) : s;
      const labels = rest.split('.');
      return labels.length >= (s.startsWith('*.') ? 2 : 1) && labels.every((label) => dnsLabel.test(label));
    },
    { message: 'must be a lowercase DNS name, optionally starting with "*." (IP addresses are not allowed)' },
  )
  .refine((s) => !/^[0-9.]+$/.test(s), { message: 'must be a DNS name, not an IP address' });

/**
 * An HTTP path: absolute, made of URI characters that need no quoting in NGINX. `%`, quotes, `$`, `;`,
 * braces, backslashes, whitespace and `#` are refused, and so are `.` and `..` segments, which NGINX
 * normalises away before it matches.
 */
export const httpPath = z
  .string()
  .max(1024)
  .regex(
    /^\/[A-Za-z0-9._~!*+,=:@()/-]*$/,
    'must start with "/" and use only letters, digits and -._~!*+,=:@()/',
  )
  .refine((p) => !p.split('/').some((seg) => seg === '.' || seg === '..'), {
    message: 'must not contain "." or ".." segments',
  })
  .refine((p) => !p.includes('//'), { message: 'must not contain "//"' });

export const portNumber = z.number().int().min(1).max(65535);

/** IANA service name, as Kubernetes uses for named ports. */
export const portName = z
  .string()
  .max(15)
  .regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/, 'must be a lowercase IANA service name')
  .refine((s) => /[a-z]/.test(s), { message: 'must contain a letter' });

export const ipAddress = z.union([z.ipv4(), z.ipv6()]);

export const cidr = z.union([z.cidrv4(), z.cidrv6(), z.ipv4(), z.ipv6()]);
