// Amounts, hashes and times for people. Amounts arrive as decimal strings and stay BigInt:
// a float cannot hold 18 decimals of wei.

/** Groups the digits of a non-negative integer string in threes. */
function group(digits: string): string {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** `value` (integer string) divided by 10^decimals, exactly, with trailing zeros dropped. */
export function units(value: string | bigint, decimals: number): string {
  const amount = BigInt(value);
  const negative = amount < 0n;
  const abs = negative ? -amount : amount;
  const scale = 10n ** BigInt(decimals);
  const whole = group((abs / scale).toString());
  const fraction = (abs % scale).toString().padStart(decimals, "0").replace(/0+$/, "");
  return (negative ? "-" : "") + (fraction ? `${whole}.${fraction}` : whole);
}

/** Wei as ETH, e.g. "1.5 ETH". */
export function eth(wei: string | bigint): string {
  return `${units(wei, 18)} ETH`;
}

/** Wei per gas as gwei, e.g. "1.000000007 gwei". */
export function gwei(wei: string | bigint): string {
  return `${units(wei, 9)} gwei`;
}

/** An integer with grouped digits. */
export function count(value: number | string | bigint): string {
  return group(BigInt(value).toString());
}

/** A hash or address cut to its ends, for lists. */
export function short(hex: string): string {
  return hex.length > 14 ? `${hex.slice(0, 8)}…${hex.slice(-6)}` : hex;
}

/** How long ago a time in Unix milliseconds was. */
export function ago(timestampMs: number): string {
  const seconds = Math.max(0, Math.floor((Date.now() - timestampMs) / 1000));
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ago`;
  return `${Math.floor(seconds / 86400)} d ago`;
}

/** A Unix timestamp (seconds) as UTC date and time. */
export function utc(timestamp: number): string {
  return new Date(timestamp * 1000).toISOString().replace("T", " ").replace(".000Z", " UTC");
}

/** A time in Unix milliseconds as UTC date and time to the millisecond. */
export function utcMs(timestampMs: number): string {
  return new Date(timestampMs).toISOString().replace("T", " ").replace("Z", " UTC");
}

/** Bytes in a 0x hex string. */
export function hexBytes(hex: string): number {
  return Math.max(0, (hex.length - 2) / 2);
}

