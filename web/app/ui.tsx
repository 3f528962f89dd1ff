/** Pieces every page uses: labelled fields with their API message, errors, drafts, status badges. */
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError } from './api.ts';

/**
 * A form's values kept in sessionStorage while it is being filled in, so that a sign-in on the way
 * (an expired token) brings the person back to the same form. Never used for secrets.
 */
export function useDraft<T extends Record<string, string>>(key: string, initial: T) {
  const storageKey = `hallpass.draft.${key}`;
  const [value, setValue] = useState<T>(() => {
    const saved = sessionStorage.getItem(storageKey);
    return saved ? { ...initial, ...(JSON.parse(saved) as T) } : initial;
  });
  const update = (field: keyof T, text: string) => {
    const next = { ...value, [field]: text };
    sessionStorage.setItem(storageKey, JSON.stringify(next));
    setValue(next);
  };
  const reset = (next: T = initial) => {
    sessionStorage.removeItem(storageKey);
    setValue(next);
  };
  return [value, update, reset] as const;
}

interface FieldProps {
  id: string;
  label: string;
  hint?: string;
  /** The API's message for this field, shown under it and announced with it. */
  error?: string | undefined;
  children: (describedBy: string | undefined, invalid: boolean) => ComponentChildren;
}

export function Field({ id, label, hint, error, children }: FieldProps) {
  const describedBy = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ');
  return (
    <div class={`field${error ? ' invalid' : ''}`}>
      <label for={id}>{label}</label>
      {hint && (
        <p class="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      {children(describedBy || undefined, Boolean(error))}
      {error && (
        <p class="field-error" id={`${id}-error`}>
          {error}
        </p>
      )}
    </div>
  );
}

/** An API refusal (or any failure) in words, with the request id to quote to an operator. */
export function ErrorNote({ error }: { error: unknown }) {
  if (!error) return null;
  const api = error instanceof ApiError ? error : null;
  return (
    <div class="error-note" role="alert">
      <strong>{api ? `${api.status} ${api.code}` : 'Error'}</strong>: {(error as Error).message}
      {api?.requestId && <span class="muted"> (request id {api.requestId})</span>}
    </div>
  );
}

const STATUS_TONES: Record<string, string> = {
  pending: 'warn',
  approved: 'ok',
  consumed: 'muted',
  denied: 'bad',
  cancelled: 'muted',
  expired: 'muted',
  justified: 'ok',
  unjustified: 'bad',
};

export function Badge({ children, tone }: { children: string; tone?: string }) {
  return <span class={`badge ${tone ?? STATUS_TONES[children] ?? ''}`}>{children}</span>;
}

/** Re-renders every `ms` (countdowns). */
export function useTick(ms: number): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(timer);
  }, [ms]);
  return now;
}

/** Runs `load` now and every `ms` while the page is shown (the approvals inbox). */
export function usePolling(load: () => void, ms: number, deps: unknown[] = []) {
  useEffect(() => {
    load();
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') load();
    }, ms);
    return () => clearInterval(timer);
  }, deps);
}
