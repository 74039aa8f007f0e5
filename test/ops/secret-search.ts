import { expect } from "vitest";

/**
 * Secrets a test used, and a search of captured output for them: each in full and, for
 * long ones, every 16-character window (a truncated or partly printed secret counts too).
 */
export class Secrets {
  private readonly values = new Map<string, string>();

  add(label: string, value: string | undefined | null): void {
    if (value && value.length >= 8) this.values.set(value, label);
  }

  /** Bytes as they might be printed: hex, base64, base64url. */
  addBytes(label: string, bytes: Uint8Array): void {
    const b = Buffer.from(bytes);
    this.add(`${label} (hex)`, b.toString("hex"));
    this.add(`${label} (base64)`, b.toString("base64").replace(/=+$/, ""));
    this.add(`${label} (base64url)`, b.toString("base64url"));
  }

  get size(): number {
    return this.values.size;
  }

  /** Every secret found in `text`, by label (and the matching fragment). */
  findIn(text: string): string[] {
    const hits: string[] = [];
    for (const [value, label] of this.values) {
      const windows = value.length > 24 ? Array.from({ length: value.length - 15 }, (_, i) => value.slice(i, i + 16)) : [value];
      const hit = windows.find((w) => text.includes(w));
      if (hit) hits.push(`${label}: …${hit}…`);
    }
    return hits;
  }

  expectNoneIn(text: string, context: string): void {
    expect(text.length, `${context}: nothing captured`).toBeGreaterThan(0);
    expect(this.findIn(text), `${context}: secrets in the logs`).toEqual([]);
  }
}
