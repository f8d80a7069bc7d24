import type http from 'node:http';
import https from 'node:https';
import { KubeConfig, type RequestContext } from '@kubernetes/client-node';

/** Idle connections to the API server kept open for the next request. */
const MAX_IDLE_CONNECTIONS = 16;

/** The agent options that decide which server a connection reaches and how it is authenticated. */
const CONNECTION_OPTIONS = [
  'ca',
  'cert',
  'key',
  'pfx',
  'passphrase',
  'rejectUnauthorized',
  'servername',
] as const;

/**
 * A KubeConfig whose API requests and watches share keep-alive connections. client-node gives every request
 * a new `https.Agent`: a new TLS context (the CA, client certificate and key parsed again), a new TCP
 * connection and a TLS handshake for each, closed after one answer. The leader's status pass writes every
 * Ingress (10,000 PATCHes at 10,000 Ingresses) and Events, the elector renews its Lease every few seconds:
 * that churn of TLS state in C++ memory raised the leader's resident memory far above the follower's, and
 * cost CPU on both ends. Requests with the same TLS options (the same cluster and user) share one
 * keep-alive agent; other agents (a proxy's) are left as client-node made them.
 */
export class PooledKubeConfig extends KubeConfig {
  /** The shared agent and the TLS options it was made with. */
  private shared: { key: string; agent: https.Agent } | undefined;

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    const agent = context.getAgent();
    if (agent !== undefined) context.setAgent(this.pooled(agent));
  }

  override async applyToFetchOptions(
    opts: https.RequestOptions,
  ): ReturnType<KubeConfig['applyToFetchOptions']> {
    const init = await super.applyToFetchOptions(opts);
    if (init.agent instanceof https.Agent) init.agent = this.pooled(init.agent);
    return init;
  }

  /** The shared keep-alive agent with `fresh`'s TLS options; `fresh` itself when it is not a plain HTTPS agent. */
  private pooled(fresh: http.Agent): http.Agent {
    if (!(fresh instanceof https.Agent) || fresh.constructor !== https.Agent) return fresh;
    const options = fresh.options;
    const key = JSON.stringify(CONNECTION_OPTIONS.map((name) => keyPart(options[name])));
    // Credentials that changed (a rotated client certificate file) make a new agent; the connections of
    // the old one (watches in progress) end as they would have.
    if (this.shared?.key !== key) {
      const agent = new https.Agent({
        ...Object.fromEntries(CONNECTION_OPTIONS.map((name) => [name, options[name]])),
        keepAlive: true,
        maxFreeSockets: MAX_IDLE_CONNECTIONS,
      });
      this.shared = { key, agent };
    }
    return this.shared.agent;
  }
}

function keyPart(value: unknown): unknown {
  if (Buffer.isBuffer(value)) return value.toString('base64');
  if (Array.isArray(value)) return value.map(keyPart);
  return value;
}
