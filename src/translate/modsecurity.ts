import { createHash } from 'node:crypto';
import type { ModSecurityAnnotations } from '../annotations/modsecurity.ts';
import type { GlobalConfig } from '../config/global-config.ts';
import { cmp, type ObjectRef } from '../model/diagnostics.ts';
import type { LocationModSecurity, ModSecurity } from '../model/nginx.ts';

/**
 * ModSecurity as ingress-nginx sets it up: the ConfigMap turns it on in the http block (with the Core Rule
 * Set and the admin's rules); an Ingress turns it on or off for its paths and adds the Core Rule Set, a
 * transaction id and rules of its own. Each rules snippet becomes a file of its own, named after its
 * object and content. Pure.
 */
export class ModSecurityFiles {
  private readonly global: GlobalConfig['modsecurity'];
  private readonly files = new Map<string, { fileName: string; content: string }>();
  private readonly globalFile: string | undefined;
  private used: boolean;

  constructor(global: GlobalConfig['modsecurity']) {
    this.global = global;
    this.used = global.enabled;
    this.globalFile =
      global.enabled && global.rules !== undefined ? this.add('configmap', global.rules) : undefined;
  }

  /** What a location of `owner` prints: undefined when it inherits the http block's. */
  forLocation(owner: ObjectRef, wanted: ModSecurityAnnotations | undefined): LocationModSecurity | undefined {
    const everywhere = this.global.enabled;
    if (wanted === undefined) return undefined;
    if (wanted.enable === false) return everywhere ? { enabled: false } : undefined;
    if (!everywhere && wanted.enable !== true) return undefined;
    this.used = true;
    const own: LocationModSecurity = {
      enabled: true,
      ...(!everywhere && { baseRules: true as const }),
      ...(wanted.coreRules && !(everywhere && this.global.coreRules) && { coreRules: true as const }),
      ...(wanted.rules !== undefined && {
        rulesFile: this.add(`${owner.namespace}_${owner.name}`, wanted.rules),
      }),
      ...(wanted.transactionId !== undefined && { transactionId: wanted.transactionId }),
    };
    return Object.keys(own).length === 1 ? undefined : own;
  }

  /** For the model: undefined when no location uses ModSecurity (the module is then not even loaded). */
  model(): ModSecurity | undefined {
    if (!this.used) return undefined;
    return {
      enabled: this.global.enabled,
      coreRules: this.global.enabled && this.global.coreRules,
      ...(this.globalFile !== undefined && { rulesFile: this.globalFile }),
      rulesFiles: [...this.files.values()].sort((a, b) => cmp(a.fileName, b.fileName)),
    };
  }

  private add(owner: string, content: string): string {
    const digest = createHash('sha256').update(content).digest('hex').slice(0, 12);
    const fileName = `${owner}_${digest}.conf`;
    this.files.set(fileName, { fileName, content });
    return fileName;
  }
}
