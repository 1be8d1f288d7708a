/**
 * Order-log customer ids as profile ids. A profile id travels in SES message tags, ledger
 * keys and URLs, so it may hold only letters, digits, `_` and `-` (`CustomerId` in
 * shop-events.ts), while a log's ids may hold anything. The encoding keeps every source id
 * apart (`a.b` and `a-b` stay two customers) and can be read back: letters, digits and `-`
 * stay as they are, every other character (`_` included) is written `_XX` per UTF-8 byte.
 */
const KEPT = /^[A-Za-z0-9-]$/;

export const MAX_CUSTOMER_ID_LENGTH = 64;

export function encodeCustomerId(sourceId: string): string {
  let out = '';
  for (const ch of sourceId) {
    if (KEPT.test(ch)) out += ch;
    else for (const byte of new TextEncoder().encode(ch)) out += `_${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

export function decodeCustomerId(customerId: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < customerId.length; i++) {
    if (customerId[i] === '_') {
      bytes.push(Number.parseInt(customerId.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(customerId.charCodeAt(i));
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}

/**
 * The local part of the address a customer without one gets on the reserved domain: the
 * encoded id with each capital letter written `.` + its small letter, so that `A1` and `a1`
 * (two customers) do not share an address once it is lower-cased.
 */
export const generatedEmailLocalPart = (sourceId: string): string => `c${encodeCustomerId(sourceId).replace(/[A-Z]/g, (c) => `.${c.toLowerCase()}`)}`;
