/**
 * `@smithy/core/event-streams`, as the functions' bundles see it: serverless.yml's esbuild `alias`
 * puts this module in its place. The SDK loads event-stream support from one place only, a dynamic
 * import in `HttpProtocol.loadEventStreamCapability`, and only for an operation whose input or
 * output has an event-stream member. None of the operations hallpass calls has one
 * (test/deploy/bundles.test.ts checks each of them), so the real module (its codec, marshallers and
 * serde, about 16 KB of every bundle that calls AWS) is never loaded; esbuild bundled it all the same.
 *
 * Should an operation with an event stream ever be called from a bundle, it fails here, naming why,
 * instead of streaming without the real code. Tests and scripts, which are not bundled, load the
 * SDK's own module.
 */

const absent = (): never => {
  throw new Error(
    "hallpass's bundles leave out the AWS SDK's event-stream support (lib/adapters/no-event-streams.ts): an operation that streams events needs the alias removed from serverless.yml",
  );
};

export class EventStreamSerde {
  constructor() {
    absent();
  }
}

export const eventStreamSerdeProvider = absent;
