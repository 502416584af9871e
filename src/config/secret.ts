import { randomBytes } from "node:crypto";

/**
 * A credential that never prints by accident: logging, string interpolation and
 * JSON serialisation all show a mask. Call `reveal()` where the value is really needed.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return "********";
  }

  toJSON(): string {
    return "********";
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return "Secret(********)";
  }
}

/** Alphanumeric only, so a secret is safe in URLs, .env files and shell words without quoting. */
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

export function generateSecret(length = 32): string {
  // Rejection sampling keeps every character equally likely (256 is not a multiple of 62).
  const limit = 256 - (256 % ALPHABET.length);
  let out = "";
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < limit && out.length < length) out += ALPHABET[byte % ALPHABET.length];
    }
  }
  return out;
}
