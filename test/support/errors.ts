/**
 * The error of class `type` that `act` throws: any other error is thrown on, and a test whose `act`
 * throws nothing fails here, so that a refusal's message and details can be asserted.
 */
// biome-ignore lint/suspicious/noExplicitAny: an error class of any constructor signature
export function thrown<E extends Error>(type: new (...args: any[]) => E, act: () => unknown): E {
  try {
    act();
  } catch (error) {
    if (error instanceof type) return error;
    throw error;
  }
  throw new Error(`expected a ${type.name}, and nothing was thrown`);
}
