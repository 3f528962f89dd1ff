/**
 * A value the pages share (who is signed in, the page, the entitlements): set `.value` anywhere; a
 * component that calls `.use()` re-renders when it changes. (@preact/signals' automatic tracking
 * did not re-render components under preact 11.2; this is all the console needs of it.)
 */
import { useEffect, useState } from 'preact/hooks';

export interface Store<T> {
  value: T;
  /** The current value, and a re-render of the calling component on each change (a hook). */
  use(): T;
}

export function store<T>(initial: T): Store<T> {
  let current = initial;
  const listeners = new Set<() => void>();
  return {
    get value() {
      return current;
    },
    set value(next: T) {
      current = next;
      for (const listener of listeners) listener();
    },
    use() {
      const [, rerender] = useState(0);
      useEffect(() => {
        const listener = () => rerender((n) => n + 1);
        listeners.add(listener);
        return () => {
          listeners.delete(listener);
        };
      }, []);
      return current;
    },
  };
}
