import { createHash } from 'node:crypto';
import type { AddressList } from '../model/nginx.ts';
import { cmp } from '../model/diagnostics.ts';

/**
 * The distinct allow- and denylists of a config. Each list becomes one `geo` block at http level, named
 * after its content, and every location that uses it refers to its variable: a 256-range allowlist on
 * 1,000 paths costs 256 lines, not 256,000 (issue 6). Pure.
 */
export class AddressLists {
  private readonly byVariable = new Map<string, AddressList>();

  /** The variable that refuses clients outside `ranges` (an allowlist). */
  admitOnly(ranges: readonly string[]): string {
    return this.add('allowlist', ranges, 'outside');
  }

  /** The variable that refuses clients inside `ranges` (a denylist). */
  refuse(ranges: readonly string[]): string {
    return this.add('denylist', ranges, 'inside');
  }

  /** The variable that is 1 for clients inside `ranges`, whom a rate limit spares. */
  spare(ranges: readonly string[]): string {
    return this.add('limit_exempt', ranges, 'inside');
  }

  /** Every list used, sorted by variable. */
  lists(): AddressList[] {
    return [...this.byVariable.values()].sort((a, b) => cmp(a.variable, b.variable));
  }

  private add(kind: string, ranges: readonly string[], setFor: AddressList['setFor']): string {
    const sorted = [...ranges].sort();
    const digest = createHash('sha256').update(sorted.join(',')).digest('hex').slice(0, 12);
    const variable = `gatehouse_${kind}_${digest}`;
    if (!this.byVariable.has(variable)) this.byVariable.set(variable, { variable, ranges: sorted, setFor });
    return variable;
  }
}
