// Server-generated ids are UUIDv7 (RFC 9562): time-ordered, with a counter inside one millisecond, so
// that rows created by one request sort in the order the caller sent them (lists are ordered by
// createdAt, then id, and every row of one request shares its createdAt).

let lastMs = 0;
let counter = 0;

/** Random bytes drawn POOL_IDS ids at a time (one getRandomValues call, not one per id). */
const POOL_IDS = 256;
const pool = new Uint8Array(POOL_IDS * 8);
let pooled = 0;

const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, "0"));

export function newId(): string {
  let ms = Date.now();
  if (ms <= lastMs) {
    ms = lastMs;
    counter++;
    if (counter > 0xfff) {
      // 4096 ids in one millisecond: borrow the next millisecond rather than lose the order.
      ms = ++lastMs;
      counter = 0;
    }
  } else {
    lastMs = ms;
    counter = 0;
  }
  if (pooled === 0) {
    crypto.getRandomValues(pool);
    pooled = POOL_IDS;
  }
  const r = (--pooled) * 8;
  // 48-bit milliseconds, version 7 and the 12-bit counter, variant 10 and 62 random bits.
  const time = ms.toString(16).padStart(12, "0");
  return (
    `${time.slice(0, 8)}-${time.slice(8)}-${HEX[0x70 | (counter >> 8)]}${HEX[counter & 0xff]}-` +
    `${HEX[0x80 | (pool[r]! & 0x3f)]}${HEX[pool[r + 1]!]}-` +
    `${HEX[pool[r + 2]!]}${HEX[pool[r + 3]!]}${HEX[pool[r + 4]!]}${HEX[pool[r + 5]!]}${HEX[pool[r + 6]!]}${HEX[pool[r + 7]!]}`
  );
}

export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID_PATTERN.test(value);
}
