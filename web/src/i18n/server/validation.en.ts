// Translations of the admin API's validation messages (en), keyed by the
// message code the server sends beside its English text; parameters are
// named as in the server's `params` object. Filled per code; a code
// missing here falls back to the server's English text.

const messages: Record<string, string> = {}

export default messages
