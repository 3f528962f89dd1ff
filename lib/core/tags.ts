/**
 * The session tags hallpass sets itself. The catalog may not set a key with the reserved prefix, and
 * its limits are checked with these counted in.
 */
export const RESERVED_TAG_PREFIX = 'hallpass:';

export const TAG = {
  sessionId: 'hallpass:session-id',
  principal: 'hallpass:principal',
  requestId: 'hallpass:request-id',
  breakGlass: 'hallpass:break-glass',
} as const;
