import { describe, expect, it } from 'vitest';
import { isTimeZone, TimeZone } from '#domain/shop-events.ts';

describe('time zones', () => {
  it('an IANA zone is valid each time it is asked (the second answer from memory), a made-up one never', () => {
    for (let i = 0; i < 3; i++) {
      expect(isTimeZone('Europe/Berlin')).toBe(true);
      expect(isTimeZone('Mars/Olympus_Mons')).toBe(false);
      expect(isTimeZone('')).toBe(false);
    }
    expect(TimeZone.safeParse('America/New_York').success).toBe(true);
    expect(TimeZone.safeParse('Europe/Atlantis').error?.issues[0]?.message).toBe('an IANA time zone like Europe/Berlin');
  });
});
