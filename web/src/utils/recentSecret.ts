// A tenant secret just shown once, kept in memory (never in storage) so the
// tenant page can prefill the token try-out right after create or reset.
const secrets = new Map<string, string>()

export function rememberSecret(appId: string, secret: string): void {
  secrets.set(appId, secret)
}

export function recentSecret(appId: string): string {
  return secrets.get(appId) ?? ''
}
