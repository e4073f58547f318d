// Reading (not verifying) a JWT's header and claims, for display.

function b64urlDecode(part: string): string {
  const b64 = part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '=')
  const bin = atob(b64)
  const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0))
  return new TextDecoder().decode(bytes)
}

export interface DecodedJwt {
  header: Record<string, unknown>
  claims: Record<string, unknown>
}

export function decodeJwt(token: string): DecodedJwt | null {
  const parts = token.split('.')
  if (parts.length !== 3) return null
  try {
    return {
      header: JSON.parse(b64urlDecode(parts[0]!)) as Record<string, unknown>,
      claims: JSON.parse(b64urlDecode(parts[1]!)) as Record<string, unknown>,
    }
  } catch {
    return null
  }
}
