/** The catalog as it applies to the signed-in person (GET /v1/entitlements), loaded once per sign-in. */
import { api, type Entitlement } from './api.ts';
import { store } from './store.ts';

export const entitlements = store<Entitlement[] | null>(null);
export const entitlementsError = store<Error | null>(null);

export async function loadEntitlements(): Promise<void> {
  try {
    entitlementsError.value = null;
    entitlements.value = (await api<{ items: Entitlement[] }>('GET', '/entitlements')).items;
  } catch (error) {
    entitlementsError.value = error as Error;
  }
}
