/**
 * `@aws-sdk/middleware-endpoint-discovery`, as the functions' bundles see it: serverless.yml's
 * esbuild `alias` puts this module in its place. The DynamoDB client, its one importer, calls
 * resolveEndpointDiscoveryConfig when it is built, which builds an endpoint cache (an LRU of 1000
 * entries, mnemonist's) that only the discovery middleware reads; and none of the client's commands,
 * in the pinned SDK, adds that middleware (test/deploy/bundles.test.ts checks every one), so endpoint
 * discovery never runs, whatever AWS_ENABLE_ENDPOINT_DISCOVERY says. Without the cache, the code that
 * nothing reads leaves every bundle that calls DynamoDB (about 9 KB each, and its load at every cold
 * start). The configuration keys stay as the client sets them.
 *
 * Should the discovery middleware ever be imported from a bundle, it is not here and the build fails
 * rather than run without it. Tests and scripts, which are not bundled, load the SDK's own module.
 */

interface DiscoveryInput {
  endpointDiscoveryEnabled?: boolean | undefined;
  endpointDiscoveryEnabledProvider: () => Promise<boolean | undefined>;
}

export const resolveEndpointDiscoveryConfig = <T extends DiscoveryInput>(
  input: T,
  { endpointDiscoveryCommandCtor }: { endpointDiscoveryCommandCtor: unknown },
) =>
  Object.assign(input, {
    endpointDiscoveryCommandCtor,
    endpointDiscoveryEnabled:
      input.endpointDiscoveryEnabled !== undefined
        ? () => Promise.resolve(input.endpointDiscoveryEnabled)
        : input.endpointDiscoveryEnabledProvider,
    isClientEndpointDiscoveryEnabled: input.endpointDiscoveryEnabled !== undefined,
  });

/** The setting's loader options, as the SDK's: read only if discovery ever ran (it does not). */
const enabled = (name: string, value: string | undefined): boolean => {
  if (value === '' || value === undefined)
    throw new Error(`${name} can't be empty or undefined, got "${value}"`);
  return !['false', '0'].includes(value);
};

export const NODE_ENDPOINT_DISCOVERY_CONFIG_OPTIONS = {
  environmentVariableSelector: (env: Record<string, string | undefined>) => {
    for (const key of ['AWS_ENABLE_ENDPOINT_DISCOVERY', 'AWS_ENDPOINT_DISCOVERY_ENABLED']) {
      if (key in env) return enabled(key, env[key]);
    }
    return undefined;
  },
  configFileSelector: (profile: Record<string, string | undefined>) =>
    'endpoint_discovery_enabled' in profile
      ? enabled('endpoint_discovery_enabled', profile.endpoint_discovery_enabled)
      : undefined,
  default: undefined,
};
