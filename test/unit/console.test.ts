import { describe, expect, it } from 'vitest';
import {
  checkDestination,
  consoleSessionDuration,
  DEFAULT_CONSOLE_HOSTS,
  DEFAULT_DESTINATION,
} from '../../lib/core/console.ts';
import { InvalidRequestError } from '../../lib/errors.ts';
import { thrown } from '../support/errors.ts';

const AWS = DEFAULT_CONSOLE_HOSTS.aws;

/** The error checkDestination throws, or a failure when it accepts the destination. */
const refusal = (destination: string, hosts: readonly string[] = AWS): InvalidRequestError =>
  thrown(InvalidRequestError, () => checkDestination(destination, hosts));

describe('checkDestination', () => {
  it("defaults to the console's home page", () => {
    expect(checkDestination(undefined, AWS)).toBe(DEFAULT_DESTINATION);
    expect(DEFAULT_DESTINATION).toBe('https://console.aws.amazon.com/');
  });

  it("defaults to the partition's console when the allowed hosts are another partition's", () => {
    expect(checkDestination(undefined, DEFAULT_CONSOLE_HOSTS['aws-us-gov'])).toBe(
      'https://console.amazonaws-us-gov.com/',
    );
  });

  it('accepts a console page with its query and fragment', () => {
    const url = 'https://console.aws.amazon.com/ec2/home?region=eu-west-1#Instances:';
    expect(checkDestination(url, AWS)).toBe(url);
  });

  it('accepts a regional subdomain of an allowed host', () => {
    const url = 'https://us-east-1.console.aws.amazon.com/s3/buckets?region=us-east-1';
    expect(checkDestination(url, AWS)).toBe(url);
  });

  it("accepts each partition's console on its own list only", () => {
    expect(checkDestination('https://console.amazonaws.cn/', DEFAULT_CONSOLE_HOSTS['aws-cn'])).toBe(
      'https://console.amazonaws.cn/',
    );
    expect(refusal('https://console.amazonaws.cn/').details[0]?.path).toBe('destination');
  });

  it('returns the normalized URL: upper case scheme and host lowered, the default port dropped', () => {
    expect(checkDestination('HTTPS://CONSOLE.AWS.AMAZON.COM:443/iam/home', AWS)).toBe(
      'https://console.aws.amazon.com/iam/home',
    );
  });

  it('compares allowed hosts case-insensitively', () => {
    expect(checkDestination('https://console.aws.amazon.com/', ['Console.AWS.amazon.com'])).toBe(
      'https://console.aws.amazon.com/',
    );
  });

  it('refuses an allowed host used as the start of another domain', () => {
    refusal('https://console.aws.amazon.com.evil.com/');
  });

  it('refuses a host that merely ends with the allowed host’s text', () => {
    refusal('https://evilconsole.aws.amazon.com/');
  });

  it('refuses an allowed host that appears only in the fragment, the query or the path', () => {
    refusal('https://evil.com#console.aws.amazon.com');
    refusal('https://evil.com/?next=https://console.aws.amazon.com/');
    refusal('https://evil.com/console.aws.amazon.com');
  });

  it('refuses user info, even empty or before an allowed host', () => {
    refusal('https://user@console.aws.amazon.com/');
    refusal('https://user:pass@console.aws.amazon.com/');
    refusal('https://@console.aws.amazon.com/');
    refusal('https://console.aws.amazon.com@evil.com/');
  });

  it('refuses backslashes, which parsers read as slashes', () => {
    refusal('https://evil.com\\@console.aws.amazon.com/');
    refusal('https:\\\\console.aws.amazon.com\\');
  });

  it('refuses a non-default port', () => {
    refusal('https://console.aws.amazon.com:8443/');
  });

  it('refuses other schemes', () => {
    refusal('javascript:alert(1)//console.aws.amazon.com');
    refusal('http://console.aws.amazon.com/');
    refusal('data:text/html,console.aws.amazon.com');
    refusal('//console.aws.amazon.com/');
    refusal('https:console.aws.amazon.com/');
  });

  it('refuses an IDN look-alike, raw or as punycode', () => {
    // A Cyrillic "о" in "console".
    refusal('https://c\u043ensole.aws.amazon.com/');
    refusal(`https://${new URL('https://c\u043ensole.aws.amazon.com/').hostname}/`);
  });

  it('refuses spaces, controls and non-ASCII anywhere', () => {
    refusal('https://console.aws.amazon.com/ x');
    refusal('https://console.aws.amazon.com/\n');
    refusal('https://console.aws.amazon.com/\u202e');
  });

  it('refuses a trailing-dot host and an IP address', () => {
    refusal('https://console.aws.amazon.com./');
    refusal('https://52.94.236.248/');
  });

  it('accepts 2048 characters and refuses 2049', () => {
    const base = 'https://console.aws.amazon.com/';
    expect(checkDestination(base + 'a'.repeat(2048 - base.length), AWS)).toHaveLength(2048);
    const error = refusal(base + 'a'.repeat(2049 - base.length));
    expect(error.details).toEqual([{ path: 'destination', message: 'must be at most 2048 characters' }]);
  });

  it('refuses everything when no host is allowed', () => {
    refusal('https://console.aws.amazon.com/', []);
  });
});

describe('consoleSessionDuration', () => {
  it('sends none for role-chained credentials, which AWS refuses with one', () => {
    expect(consoleSessionDuration({ remainingSeconds: 3600, chained: true })).toBeUndefined();
  });

  it('asks for the whole seconds the credentials have left', () => {
    expect(consoleSessionDuration({ remainingSeconds: 7199.9, chained: false })).toBe(7199);
  });

  it('asks for at most 12 hours', () => {
    expect(consoleSessionDuration({ remainingSeconds: 43200, chained: false })).toBe(43200);
    expect(consoleSessionDuration({ remainingSeconds: 50000, chained: false })).toBe(43200);
  });

  it('sends none below 900 seconds, so the console session ends with the credentials', () => {
    expect(consoleSessionDuration({ remainingSeconds: 900, chained: false })).toBe(900);
    expect(consoleSessionDuration({ remainingSeconds: 899.5, chained: false })).toBeUndefined();
    expect(consoleSessionDuration({ remainingSeconds: -5, chained: false })).toBeUndefined();
    expect(consoleSessionDuration({ remainingSeconds: Number.NaN, chained: false })).toBeUndefined();
  });
});
