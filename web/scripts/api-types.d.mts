// Types of scripts/api-types.mjs for the tests that import it.
export const DOCUMENT: string
export const OUTPUT: string
export function generate(): Promise<string>
