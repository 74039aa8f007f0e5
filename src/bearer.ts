/** The token of an `Authorization: Bearer <token>` header, or undefined. One parser for API, metrics and vault. */
export function bearerToken(authorization: string | undefined): string | undefined {
  return authorization?.match(/^Bearer\s+(\S+)\s*$/i)?.[1];
}
