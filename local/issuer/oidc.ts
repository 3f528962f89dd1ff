/**
 * oidc-provider as the dev issuer uses it: the few parts of its API it calls (the package ships no
 * type declarations), loading it once, and its storage in memory. Also what the provider and the
 * sign-in page share: the resource whose tokens carry the audience, and who signed in, by grant.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** The resource indicator whose access tokens carry `aud` = the audience. */
export const RESOURCE = 'urn:hallpass:api';

/** Who signed in on the dev page: the access tokens of their grant (and its refreshes) carry these claims. */
export interface DevUser {
  sub: string;
  groups: string[];
  name?: string;
}

export interface OidcCtx {
  oidc: { client?: { clientId: string } };
  body: string;
  type?: string;
  status: number;
}
export interface OidcToken {
  grantId?: string;
  accountId?: string;
}
export interface OidcGrant {
  addOIDCScope(scope: string): void;
  addResourceScope(resource: string, scope: string): void;
  save(): Promise<string>;
}
export interface OidcInteraction {
  uid: string;
  prompt: { name: string };
  params: Record<string, unknown>;
  session?: { accountId?: string };
}
export interface OidcProvider {
  callback(): (req: IncomingMessage, res: ServerResponse) => void;
  interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<OidcInteraction>;
  interactionFinished(
    req: IncomingMessage,
    res: ServerResponse,
    result: Record<string, unknown>,
    options?: { mergeWithLastSubmission?: boolean },
  ): Promise<void>;
  Grant: new (fields: { accountId: string; clientId: string }) => OidcGrant;
  on(event: string, listener: (...args: unknown[]) => void): void;
}
export interface OidcCheckClass {
  new (reason: string, description: string, check: (ctx: { oidc: { result?: unknown } }) => boolean): unknown;
  REQUEST_PROMPT: boolean;
  NO_NEED_TO_PROMPT: boolean;
}
export interface OidcModule {
  default: new (issuer: string, configuration: Record<string, unknown>) => OidcProvider;
  interactionPolicy: {
    base(): { get(name: string): { checks: { add(check: unknown): void } } };
    Check: OidcCheckClass;
  };
}

let oidcModule: Promise<OidcModule> | undefined;
/**
 * Loads oidc-provider once. Its import-time "Unsupported runtime" notice (it prefers Node 22, the
 * Lambda runtime) is dropped: local mode runs on Node >= 20 as package.json allows, and nothing
 * the dev issuer uses needs more. Every other warning it prints is kept.
 */
export function loadOidcProvider(): Promise<OidcModule> {
  oidcModule ??= (async () => {
    const warn = console.warn;
    console.warn = (...args: unknown[]) => {
      if (String(args[0]).includes('oidc-provider WARNING: Unsupported runtime')) return;
      warn(...args);
    };
    try {
      // A specifier TypeScript does not resolve: the package ships no types, OidcModule describes it.
      const specifier: string = 'oidc-provider';
      return (await import(specifier)) as OidcModule;
    } finally {
      console.warn = warn;
    }
  })();
  return oidcModule;
}

/**
 * oidc-provider's storage, in memory, per issuer instance (its own in-memory adapter is shared by
 * every instance of a process and announces itself on every start).
 */
export function memoryAdapter() {
  const store = new Map<string, { payload: Record<string, unknown>; expiresAt: number }>();
  const live = (key: string) => {
    const entry = store.get(key);
    if (entry && entry.expiresAt <= Date.now()) store.delete(key);
    return store.get(key);
  };
  return (model: string) => {
    const key = (id: string) => `${model}:${id}`;
    const findBy = (field: string, value: unknown) => {
      for (const [k, entry] of store)
        if (k.startsWith(`${model}:`) && entry.payload[field] === value) return live(k)?.payload;
      return undefined;
    };
    return {
      async upsert(id: string, payload: Record<string, unknown>, expiresIn?: number) {
        const expiresAt = typeof expiresIn === 'number' ? Date.now() + expiresIn * 1000 : Infinity;
        store.set(key(id), { payload, expiresAt });
      },
      async find(id: string) {
        return live(key(id))?.payload;
      },
      async findByUid(uid: string) {
        return findBy('uid', uid);
      },
      async findByUserCode(userCode: string) {
        return findBy('userCode', userCode);
      },
      async consume(id: string) {
        const entry = live(key(id));
        if (entry) entry.payload.consumed = Math.floor(Date.now() / 1000);
      },
      async destroy(id: string) {
        store.delete(key(id));
      },
      async revokeByGrantId(grantId: string) {
        for (const [k, entry] of store) if (entry.payload.grantId === grantId) store.delete(k);
      },
    };
  };
}
