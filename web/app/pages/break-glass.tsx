/**
 * Break glass: emergency access without approval, for members of an entitlement's break-glass
 * groups. Clearly marked, a justification of 20 to 1000 characters is forced, and every use is
 * reviewed by an auditor afterwards.
 */
import { useState } from 'preact/hooks';
import { ApiError } from '../api.ts';
import { VendActions } from '../credentials.tsx';
import { entitlements } from '../entitlements.ts';
import { duration } from '../format.ts';
import { Field, useDraft } from '../ui.tsx';

export function BreakGlassPage() {
  const all = entitlements.use();
  const list = (all ?? []).filter((e) => e.breakGlass.allowed);
  const [draft, update] = useDraft('break-glass', { entitlementId: '', justification: '', confirmed: '' });
  const [error, setError] = useState<Error | null>(null);
  const chosen = list.find((e) => e.id === draft.entitlementId) ?? list[0];
  const fieldError = (field: string) => (error instanceof ApiError ? error.at(field) : undefined);
  const [unconfirmed, setUnconfirmed] = useState(false);

  if (!all) return <p>Loading…</p>;
  if (!chosen) return <p>You are in no break-glass group: emergency access is not available to you.</p>;

  return (
    <div class="break-glass">
      <div class="emergency" role="note">
        <strong>Emergency access.</strong> Break glass skips approval. It alarms the security team at once,
        and an auditor reviews every use afterwards, with your justification.
      </div>
      <form class="card" noValidate onSubmit={(e) => e.preventDefault()} aria-label="Break glass">
        <Field id="bg-entitlement" label="Entitlement">
          {(describedBy) => (
            <select
              id="bg-entitlement"
              value={chosen.id}
              aria-describedby={describedBy}
              onChange={(e) => update('entitlementId', (e.target as HTMLSelectElement).value)}
            >
              {list.map((e) => (
                <option key={e.id} value={e.id}>
                  {e.id}
                </option>
              ))}
            </select>
          )}
        </Field>
        <p>
          {chosen.description}; break glass lasts up to{' '}
          {duration(chosen.breakGlass.maxDurationSeconds ?? 900)}.
        </p>
        <Field
          id="bg-justification"
          label="Justification (required)"
          hint="The incident and why approval cannot wait (20 to 1000 characters)."
          error={fieldError('breakGlass.justification') ?? fieldError('breakGlass')}
        >
          {(describedBy, invalid) => (
            <textarea
              id="bg-justification"
              rows={3}
              value={draft.justification}
              aria-describedby={describedBy}
              aria-invalid={invalid}
              onInput={(e) => update('justification', (e.target as HTMLTextAreaElement).value)}
            />
          )}
        </Field>
        <div class={`field${unconfirmed ? ' invalid' : ''}`}>
          <label class="check">
            <input
              type="checkbox"
              checked={draft.confirmed === 'yes'}
              aria-describedby={unconfirmed ? 'bg-confirm-error' : undefined}
              onChange={(e) => update('confirmed', (e.target as HTMLInputElement).checked ? 'yes' : '')}
            />{' '}
            I am responding to an emergency, and I accept the review of this access.
          </label>
          {unconfirmed && (
            <p class="field-error" id="bg-confirm-error">
              Confirm the emergency first.
            </p>
          )}
        </div>
        <VendActions
          label="Break glass: get credentials"
          onError={setError}
          body={() => {
            setUnconfirmed(draft.confirmed !== 'yes');
            if (draft.confirmed !== 'yes') return null;
            return { entitlementId: chosen.id, breakGlass: { justification: draft.justification } };
          }}
        />
      </form>
    </div>
  );
}
