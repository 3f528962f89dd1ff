/** The console's sign-in settings, written into index.html at build time (scripts/build-web.ts). */
export interface Settings {
  issuer: string;
  clientId: string;
  scope: string;
  resource?: string;
  audience: string;
  claims: { principal: string; name: string[]; groups: string };
}

const meta = document.querySelector<HTMLMetaElement>('meta[name="hallpass-settings"]');

export const settings: Settings = JSON.parse(meta?.content || '{}') as Settings;
