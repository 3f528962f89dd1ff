/**
 * The bundles' stand-in for @aws-sdk/signature-v4-multi-region in the STS client (3.7 KB of every
 * bundle that calls STS). That signer signs with SigV4, except for a region of `*`, which is SigV4a:
 * and SigV4a needs @aws-sdk/signature-v4-crt or @aws-sdk/signature-v4a, which hallpass installs
 * neither of, so the SDK's own class would refuse it too. STS's endpoint rules name no SigV4a, and
 * its auth options put SigV4 (or no auth) first; an auth-scheme preference (AWS_AUTH_SCHEME_PREFERENCE)
 * could choose SigV4a, whose signer passes the region set as the region: a list is signed as SigV4
 * by both classes, `*` refused by both. deploy/esbuild-plugins.cjs gives this file to the STS
 * client's imports of that package alone; test/deploy/bundles.test.ts checks that the SDK still uses
 * only what this class answers, and that it signs as the SDK's own class does.
 */

import { SignatureV4 } from '@smithy/signature-v4';
import type { HttpRequest, RequestPresigningArguments, RequestSigningArguments } from '@smithy/types';

const NO_SIGV4A =
  "hallpass's bundles sign with SigV4 only (lib/adapters/sts-sigv4-only.ts): SigV4a (region '*') needs @aws-sdk/signature-v4-crt or @aws-sdk/signature-v4a";

export class SignatureV4MultiRegion extends SignatureV4 {
  /** Which SigV4a implementation is loaded: none, as with the SDK's class when neither is installed. */
  static sigv4aDependency(): 'none' {
    return 'none';
  }

  // One signature for SignatureV4's overloads (a string, an event, a request): only a request is
  // ever signed by the clients, and a region of `*` is refused whatever is signed.
  // biome-ignore lint/suspicious/noExplicitAny: the overloads' union, passed through unchanged
  override async sign(toSign: any, options: RequestSigningArguments = {}): Promise<any> {
    if (options.signingRegion === '*') throw new Error(NO_SIGV4A);
    return super.sign(toSign, options);
  }

  override async presign(
    request: HttpRequest,
    options: RequestPresigningArguments = {},
  ): Promise<HttpRequest> {
    if (options.signingRegion === '*') throw new Error(NO_SIGV4A);
    return super.presign(request, options);
  }
}
