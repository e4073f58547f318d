/**
 * Generated from src/api/openapi.json by openapi-typescript: do not edit.
 * After a change to the admin API's types, run
 * `WEIR_BLESS=1 cargo test -p weir-admin --lib openapi_document` (writes
 * openapi.json), then `npm run types` in web/ (writes this file).
 */

export interface paths {
    "/api/v1/audit": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The audit log, newest first. */
        get: operations["get_audit"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/certificates": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List certificates with their names and validity. */
        get: operations["get_certificates"];
        put?: never;
        /** Add a certificate: PEM chain and key (the key is never shown again). */
        post: operations["post_certificates"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/certificates/{name}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Show a certificate (without its key). */
        get: operations["get_certificates_by_name"];
        /**
         * Replace a certificate. Needs `If-Match`. Leave `key` out to keep the
         *     stored one (e.g. a renewed certificate for the same key).
         */
        put: operations["put_certificates_by_name"];
        post?: never;
        /** Delete a certificate. Needs `If-Match`. */
        delete: operations["delete_certificates_by_name"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/config": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The current configuration (secrets left out). */
        get: operations["get_config"];
        /**
         * Make the configuration equal to a document, as one revision.
         * @description Each kind the document declares (`services`, …) is replaced as a whole;
         *     kinds it leaves out are untouched. With `If-Match` (the store revision
         *     the document was based on) the apply is refused with 409 if the store has
         *     moved on.
         */
        put: operations["put_config"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/explain": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Explain a request. */
        post: operations["post_explain"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/gateways": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The gateway processes sharing this store. */
        get: operations["get_gateways"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/listeners": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Per-service listeners of this process and their state. */
        get: operations["get_listeners"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/nodes": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Self-registered nodes (deprecated: use `GET /api/v1/registrations`,
         *     which pages and carries the change sequence).
         */
        get: operations["get_nodes"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/registrations": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Live registrations of every service (including services since removed
         *     from the configuration, until their registrations lapse).
         */
        get: operations["get_registrations"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/revisions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List revisions, newest first. */
        get: operations["get_revisions"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/revisions/diff": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** What changed between two revisions. */
        get: operations["get_revisions_diff"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/revisions/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Show a revision and what it changed. */
        get: operations["get_revisions_by_id"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/revisions/{id}/config": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The whole configuration as it was at a revision (0: empty). */
        get: operations["get_revisions_by_id_config"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/revisions/{id}/rollback": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Roll the configuration back to a revision, as a new revision.
         * @description `If-Match` (optional) with the current store revision refuses the
         *     rollback (409) if anything changed since the caller looked.
         */
        post: operations["post_revisions_by_id_rollback"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/services": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List services. */
        get: operations["get_services"];
        put?: never;
        /** Create a service (one new revision). */
        post: operations["post_services"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/services/{name}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Show a service. */
        get: operations["get_services_by_name"];
        /** Replace a service. Needs `If-Match` with the version read. */
        put: operations["put_services_by_name"];
        post?: never;
        /** Delete a service. Needs `If-Match` with the version read. */
        delete: operations["delete_services_by_name"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/services/{name}/health": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Node health of a service. A stored service the running configuration
         *     does not hold yet (just created, not applied) is `off` with its
         *     configured nodes `unknown`, so a page opened right after a save does not
         *     meet an error.
         */
        get: operations["get_services_by_name_health"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/services/{name}/registrations": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Live registrations of a service. */
        get: operations["get_services_by_name_registrations"];
        put?: never;
        /**
         * Register an instance (or renew its registration).
         * @description Registering the same service and address again renews the existing
         *     registration (200, same id) with the new weight, metadata and TTL.
         */
        post: operations["post_services_by_name_registrations"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/services/{name}/registrations/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /**
         * Heartbeat: renew a registration, optionally changing its TTL, weight or
         *     metadata. The body is optional.
         */
        put: operations["put_services_by_name_registrations_by_id"];
        post?: never;
        /** Deregister an instance (on shutdown). */
        delete: operations["delete_services_by_name_registrations_by_id"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/services/{name}/stats": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Hourly traffic of a service, today and yesterday. */
        get: operations["get_services_by_name_stats"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/session": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The current caller (user session or API token). */
        get: operations["get_session"];
        put?: never;
        /**
         * Log in.
         * @description Sets the `weir_session` cookie (HttpOnly, SameSite=Strict, Secure under
         *     TLS). Attempts are throttled per user name and client address, and per
         *     client address (429 `too_many_attempts` with Retry-After); when too many
         *     logins are being verified at once the answer is 429 `login_busy`.
         */
        post: operations["post_session"];
        /** Log out: end the session and clear the cookie (no effect for API tokens). */
        delete: operations["delete_session"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/session/password": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Change the caller's password. Required after first login; ends the
         *     user's other sessions.
         */
        post: operations["post_session_password"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/signing-keys": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List signing keys (without key material). */
        get: operations["get_signing_keys"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/signing-keys/rotate": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Rotate: generate a new active key and keep the current ones for
         *     verifying (tokens they signed stay valid until they expire or the key is
         *     retired). One revision.
         */
        post: operations["post_signing_keys_rotate"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/signing-keys/{name}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /**
         * Retire a key that only verifies (tokens it signed stop being accepted).
         *     Needs `If-Match` with its version; the active key cannot be retired.
         */
        delete: operations["delete_signing_keys_by_name"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/stats/series": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Hourly requests today and yesterday. */
        get: operations["get_stats_series"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/stats/summary": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The gateway at a glance. */
        get: operations["get_stats_summary"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/status": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The gateway's status. */
        get: operations["get_status"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/tenants": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List tenants (by app id). */
        get: operations["get_tenants"];
        put?: never;
        /**
         * Create a tenant. Without `secret`, one is generated; either way the
         *     answer shows it, once.
         */
        post: operations["post_tenants"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/tenants/{app_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Show a tenant (without its secret). */
        get: operations["get_tenants_by_app_id"];
        /** Replace a tenant. Needs `If-Match`. Leave `secret` out to keep it. */
        put: operations["put_tenants_by_app_id"];
        post?: never;
        /** Delete a tenant. Needs `If-Match`. */
        delete: operations["delete_tenants_by_app_id"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/tenants/{app_id}/secret": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Replace the tenant's secret with a new random one, shown in this answer
         *     only. Tokens already issued stay valid until they expire.
         */
        post: operations["post_tenants_by_app_id_secret"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/tenants/{app_id}/stats": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Hourly traffic of a tenant, today and yesterday. */
        get: operations["get_tenants_by_app_id_stats"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/tenants/{app_id}/token-tryout": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Get a token for a tenant from the data plane's `POST /oauth/tokens`, as a
         *     client would (the dashboard's try-out).
         */
        post: operations["post_tenants_by_app_id_token_tryout"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/tokens": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List API tokens (revoked ones included). */
        get: operations["get_tokens"];
        put?: never;
        /** Create an API token. The secret is in this answer only. */
        post: operations["post_tokens"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/tokens/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Revoke an API token. */
        delete: operations["delete_tokens_by_id"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/users": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List users. */
        get: operations["get_users"];
        put?: never;
        /** Create a user. */
        post: operations["post_users"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/v1/users/{name}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Show a user. */
        get: operations["get_users_by_name"];
        put?: never;
        post?: never;
        /** Delete a user (and end their sessions). */
        delete: operations["delete_users_by_name"];
        options?: never;
        head?: never;
        /** Change a user's role or reset their password. */
        patch: operations["patch_users_by_name"];
        trace?: never;
    };
    "/healthz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Liveness: `ok` while the admin listener runs. */
        get: operations["get_healthz"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/metrics": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Prometheus metrics of the data plane in this process (no
         *     authentication, like `/healthz`: scrapers rarely log in; keep the admin
         *     listener on a private address).
         */
        get: operations["get_metrics"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        /** @enum {string} */
        Algorithm: "HS256" | "RS256" | "EdDSA";
        ApiToken: {
            /** Format: int64 */
            created_at_ms: number;
            created_by: string;
            /**
             * @description Public id (also part of the token itself).
             * @example 3f2a9c0d1e4b5a69
             */
            id: string;
            /** Format: int64 */
            last_used_ms?: number | null;
            /** @example ci-deploy */
            name: string;
            /** Format: int64 */
            revoked_at_ms?: number | null;
            role: components["schemas"]["Role"];
            /**
             * @description Registrar tokens: the services it may register into (`*`: every
             *     service that enables registration). Absent: not restricted by
             *     service (tokens of other roles, and registrar tokens made before
             *     scopes existed).
             */
            services?: string[] | null;
        };
        AuditRecord: {
            /** @description e.g. `service.update`, `revision.rollback`, `session.login`. */
            action: string;
            /** @description User or API token name. */
            actor: string;
            /** @description `user` or `token`. */
            actor_kind: string;
            /** Format: int64 */
            at_ms: number;
            /** @description In English (may be empty). */
            detail: string;
            /**
             * @description The detail's message code (`no_change`, `request_failed`,
             *     `wrong_credentials`, …) to show it in another language with
             *     `detail_params`; absent without a detail and for entries written
             *     before Weir stored codes. A client that does not know the code shows
             *     `detail`.
             */
            detail_code?: string | null;
            /** @description The code's parameters, by name. */
            detail_params?: {
                [key: string]: unknown;
            } | null;
            /** Format: int64 */
            id: number;
            /** @description The client's address as the admin listener saw it (TCP peer). */
            ip: string;
            /** @description `ok`, `denied` or `failed`. */
            outcome: string;
            /**
             * Format: int64
             * @description The revision a configuration write created.
             */
            revision?: number | null;
            /** @description e.g. `service/user_api`. */
            target: string;
        };
        /** @description Tenant authentication (seed: `open_auth`, `api_white_list`). */
        AuthPolicy: {
            /**
             * @description Paths that need no token: exact, or `prefix*` (a trailing `*` only).
             * @default []
             */
            allow_paths?: string[];
            /** @default false */
            enabled?: boolean;
            /**
             * @description App ids of the tenants that may call; absent or empty = every
             *     enabled tenant with a valid token (others get 403
             *     `tenant_not_allowed`). A name that matches no tenant admits nobody.
             * @default []
             */
            tenants?: string[];
        };
        BalancerChoice: {
            /** @description Every node that could be picked. */
            candidates: components["schemas"]["NodeRef"][];
            /** @description How the strategy picks, in English. */
            detail: string;
            /** @description The code of `detail` (e.g. `next_in_rotation`). */
            detail_code: string;
            /** @description The parameters of `detail_code`, by name. */
            detail_params: {
                [key: string]: string;
            };
            /**
             * @description Whether `node` is exactly the node the next such request gets
             *     (consistent hash, a single usable node). Otherwise the pick depends on
             *     a random draw or on requests in between, and `node` is absent or the
             *     next in rotation.
             */
            deterministic: boolean;
            node?: components["schemas"]["NodeRef"] | null;
            /** @description The balancing strategy. */
            strategy: string;
        };
        /** @description The upstream's circuit breaker: its limits and what is in use now. */
        BreakerReport: {
            /**
             * Format: u-int64
             * @description Connections the service has open to its nodes now.
             */
            connections: number;
            /** Format: u-int32 */
            max_connections?: number | null;
            /** Format: u-int32 */
            max_pending?: number | null;
            /** Format: u-int32 */
            max_requests?: number | null;
            /**
             * @description Whether a request now would be answered `503 circuit_open` (its
             *     requests are at `max_requests`). Depends on traffic: the answer of a
             *     moment.
             */
            open: boolean;
            /**
             * Format: u-int64
             * @description Requests waiting for a connection now.
             */
            pending: number;
            /**
             * Format: u-int64
             * @description Requests in flight now.
             */
            requests: number;
        };
        /**
         * @description A TLS certificate the HTTPS listener serves, chosen by SNI from the DNS
         *     names it covers. The certificate must parse, match its key and be valid
         *     now.
         */
        Certificate: {
            /**
             * @description PEM: the leaf certificate first, then its intermediates.
             * @example -----BEGIN CERTIFICATE-----
             *     ...
             *     -----END CERTIFICATE-----
             */
            cert: string;
            /**
             * @description Serve this certificate to clients that send no SNI or a name no
             *     certificate covers (at most one). Default false.
             * @default false
             */
            default?: boolean;
            /**
             * @description PEM private key (PKCS#8, PKCS#1 or SEC1). Write-only: never returned;
             *     required on create; kept on replace when absent.
             */
            key?: string | null;
            /**
             * @description Unique name. Letters, digits, `_`, `-`, `.`, starting with a letter or digit; at most 64 characters.
             * @example example-com
             */
            name: string;
        };
        /** @description What a certificate says about itself (never its key). */
        CertificateInfo: {
            /** @description Served to clients without SNI or with a name no certificate covers. */
            default: boolean;
            /**
             * @description DNS names it covers (`*.example.com` for wildcards); the subject's
             *     common name when it has no DNS subject alternative names.
             */
            dns_names: string[];
            /**
             * @description Set when the stored certificate cannot be read (the other fields are
             *     then empty); absent normally.
             */
            error?: string | null;
            expired: boolean;
            /**
             * Format: int64
             * @description Whole days until `not_after` (negative once expired).
             */
            expires_in_days: number;
            /** @description Not expired, but fewer than 30 days left. */
            expiring_soon: boolean;
            /** @example CN=Example CA, O=Example */
            issuer: string;
            name: string;
            /**
             * Format: int64
             * @description Unix seconds.
             */
            not_after: number;
            /**
             * @description `not_after` as an ISO 8601 UTC time.
             * @example 2026-04-01T00:00:00Z
             */
            not_after_iso: string;
            /**
             * Format: int64
             * @description Unix seconds.
             */
            not_before: number;
            /**
             * @description `not_before` as an ISO 8601 UTC time.
             * @example 2026-01-01T00:00:00Z
             */
            not_before_iso: string;
            /** @example CN=api.example.com */
            subject: string;
            /**
             * Format: int64
             * @description The revision that last changed it; send it in `If-Match`.
             */
            version: number;
        };
        /** @description A page of certificates. */
        CertificateList: components["schemas"]["Page_CertificateInfo"];
        /**
         * @description A certificate as stored (without its key), with its version and what it
         *     says about itself.
         */
        CertificateResource: {
            info: components["schemas"]["CertificateInfo"];
            spec: components["schemas"]["Certificate"];
            /** Format: int64 */
            version: number;
        };
        /** @enum {string} */
        ChangeOp: "add" | "update" | "remove";
        ChangePasswordRequest: {
            current_password: string;
            /** @description At least 10 characters, not the user name. */
            new_password: string;
        };
        /** @description Circuit breaker limits (absent: no limit), each 1–1000000. */
        CircuitBreaker: {
            max_connections?: number | null;
            max_pending?: number | null;
            max_requests?: number | null;
        };
        /**
         * @description Response compression. A response is compressed when the client accepts
         *     one of `algorithms` (the highest q-value wins, ties go to this order),
         *     its type is in `content_types` and its `Content-Length` (if any) is at
         *     least `min_size`; never a HEAD answer, an upgrade, 1xx/204/304, a 206 or
         *     `Content-Range`, one with `Content-Encoding` or `Cache-Control:
         *     no-transform`. Algorithms are listed once each.
         */
        Compression: {
            /**
             * @description The codings, in the service's order of preference (default `zstd`,
             *     `br`, `gzip`); at least one, each once.
             * @default [
             *       "zstd",
             *       "br",
             *       "gzip"
             *     ]
             */
            algorithms?: ("br" | "zstd" | "gzip")[];
            /**
             * @description Media types to compress, without parameters: `type/subtype`, `type/*`, `type/*+suffix` or `*\/*`; at least one. Wildcards do not cover `text/event-stream`. Default: `text/*`, `application/json`, `application/*+json`, `application/javascript`, `application/xml`, `application/*+xml`, `image/svg+xml`, `application/wasm`.
             * @default [
             *       "text/*",
             *       "application/json",
             *       "application/*+json",
             *       "application/javascript",
             *       "application/xml",
             *       "application/*+xml",
             *       "image/svg+xml",
             *       "application/wasm"
             *     ]
             */
            content_types?: string[];
            level?: components["schemas"]["CompressionLevels"];
            /**
             * Format: u-int64
             * @description Responses with a smaller `Content-Length` are sent as they are
             *     (default 1024); a response of unknown length is compressed.
             * @default 1024
             * @example 1024
             */
            min_size?: number;
        };
        /**
         * @description The coding the request's `Accept-Encoding` gets from the service's
         *     `compression`. Whether an answer is compressed is decided on the
         *     response — its status, type, `Content-Length`, `Content-Encoding` and
         *     `Cache-Control: no-transform` — which explain does not see: `encoding`
         *     is what a response that qualifies would be sent in.
         */
        CompressionChoice: {
            /** @description The service's codings in its order of preference. */
            algorithms: string[];
            /** @description Whether the service compresses responses at all. */
            configured: boolean;
            /** @description Why, in English. */
            detail: string;
            /** @description The code of `detail` (e.g. `compression_depends`). */
            detail_code: string;
            /** @description The parameters of `detail_code`, by name. */
            detail_params: {
                [key: string]: string;
            };
            /**
             * @description `br`, `zstd` or `gzip`: the coding of a qualifying response;
             *     absent when the answer goes unencoded whatever it is (not
             *     configured, a HEAD request, an upgrade, a client that accepts none
             *     of the service's codings).
             */
            encoding?: string | null;
        };
        /**
         * @description The level of each coding; the defaults favour speed (compression runs
         *     on the request path).
         */
        CompressionLevels: {
            /**
             * @description Brotli quality (default 4).
             * @default 4
             */
            br?: number;
            /**
             * @description gzip level (default 1).
             * @default 1
             */
            gzip?: number;
            /**
             * @description zstd level (default 3).
             * @default 3
             */
            zstd?: number;
        };
        /**
         * @description A whole configuration document (what `weir export` prints, as JSON).
         *     Each list is optional: absent means "leave this kind alone" when
         *     applied; `null` or `[]` means "there are none" (every entry of the kind
         *     is removed).
         */
        ConfigDocument: {
            /**
             * @description TLS certificates; private keys are left out of exports (and kept when
             *     applying a document without them).
             */
            certificates?: components["schemas"]["Certificate"][] | null;
            services?: components["schemas"]["Service"][] | null;
            /** @description Token signing keys (issue 4); key material is left out of exports. */
            signing_keys?: {
                [key: string]: unknown;
            }[] | null;
            /**
             * @description Tenants; secrets are left out of exports (and kept when applying a
             *     document without them).
             */
            tenants?: components["schemas"]["Tenant"][] | null;
        };
        ConfigExport: {
            document: components["schemas"]["ConfigDocument"];
            /**
             * Format: int64
             * @description The store revision this document is.
             */
            revision: number;
        };
        /**
         * @description A service's CORS policy (Cross-Origin Resource Sharing). The gateway
         *     answers browsers' preflights itself (`OPTIONS` with `Origin` and
         *     `Access-Control-Request-Method`: `204`, never forwarded; the service's
         *     IP rules apply to them, authentication and limits do not) — with the
         *     allow fields when origin, method and headers are allowed, without them
         *     otherwise. Other requests from an allowed origin get
         *     `Access-Control-Allow-Origin` (and `-Allow-Credentials`,
         *     `-Expose-Headers`) on whatever answers them, the gateway's refusals
         *     included; the upstream's own `Access-Control-*` fields are replaced.
         *     Every answer to a request with `Origin` gets `Vary: Origin`. WebSocket
         *     upgrades and requests without `Origin` are left alone.
         */
        Cors: {
            /**
             * @description Let pages send cookies and HTTP authentication and read the answers
             *     (`Access-Control-Allow-Credentials: true`; the origin is echoed).
             *     Default false.
             * @default false
             */
            allow_credentials?: boolean;
            /**
             * @description Request headers a preflight may ask for (any case), or `*` alone
             *     for any. Default none.
             * @default []
             * @example [
             *       "Content-Type",
             *       "Authorization"
             *     ]
             */
            allow_headers?: string[];
            /**
             * @description Methods a preflight may ask for (case-sensitive, as browsers send
             *     them), or `*` alone for any. Default `GET`, `HEAD`, `POST`.
             * @default [
             *       "GET",
             *       "HEAD",
             *       "POST"
             *     ]
             * @example [
             *       "GET",
             *       "POST",
             *       "PUT",
             *       "DELETE"
             *     ]
             */
            allow_methods?: string[];
            /**
             * @description Origins whose pages may read the answers: `scheme://host[:port]`
             *     (`https://app.example.com`, `http://localhost:3000`; no path),
             *     `https://*.example.com` (any subdomain, not `example.com` itself),
             *     or `*` alone for any origin — not with `allow_credentials: true`.
             *     Each once.
             * @example [
             *       "https://app.example.com",
             *       "https://*.example.com"
             *     ]
             */
            allow_origins: string[];
            /**
             * @description Response headers beyond the CORS-safelisted ones that the page may
             *     read, or `*` alone for any (not with `allow_credentials: true`).
             * @default []
             * @example [
             *       "X-Request-Id"
             *     ]
             */
            expose_headers?: string[];
            max_age?: components["schemas"]["Duration"] | null;
        };
        /** @enum {string} */
        CorsOutcome: "none" | "preflight_allowed" | "preflight_refused" | "origin_allowed" | "origin_not_allowed";
        /**
         * @description Explain's CORS line: what the service's `cors` makes of the request and
         *     which fields the gateway puts on the answer for it.
         */
        CorsReport: {
            /**
             * @description Why, in English (e.g. `https://app.example.com is on allow_origins
             *     …`).
             */
            detail: string;
            /**
             * @description The code of `detail` (e.g. `cors_origin_allowed`).
             * @example cors_origin_allowed
             */
            detail_code: string;
            /** @description The parameters of `detail_code`, by name (e.g. `origin`). */
            detail_params: {
                [key: string]: string;
            };
            /**
             * @description The fields the gateway puts on its answer for CORS, in order
             *     (`Access-Control-*`, `Vary`). On a forwarded request they replace the
             *     upstream's `Access-Control-*` fields; `Vary` is added to the
             *     upstream's. Empty when the gateway's answer carries none (no CORS,
             *     or a preflight the IP rules refuse).
             */
            headers: components["schemas"]["HeaderEntry"][];
            outcome: components["schemas"]["CorsOutcome"];
        };
        CreateToken: {
            /**
             * @description What the token is for: 1–128 characters, not only spaces, no control
             *     characters (leading and trailing spaces are dropped).
             * @example ci-deploy
             */
            name: string;
            role: components["schemas"]["Role"];
            /**
             * @description Required for role `registrar`, refused for the others: the services
             *     the token may register into (1–100 service names, or `["*"]` for
             *     every service that enables registration).
             * @example [
             *       "orders"
             *     ]
             */
            services?: string[] | null;
        };
        CreateUser: {
            /** @description Initial password; the user must change it at first login. 10–1024 characters (at most 1024 bytes), not one character repeated, not the user name. */
            password: string;
            role: components["schemas"]["UserRole"];
            /**
             * @description Letters, digits, `_`, `-`, `.`, starting with a letter or digit; at most 64 characters.
             * @example alice
             */
            username: string;
        };
        /** @description A new token: the only time its secret is shown. */
        CreatedToken: components["schemas"]["ApiToken"] & {
            /** @description Send as `Authorization: Bearer <secret>`. Not retrievable later. */
            secret: string;
        };
        /** @description What a delete answers. */
        Deleted: {
            /**
             * Format: int64
             * @description The revision that deleted the resource.
             */
            revision: number;
        };
        /**
         * @description How nodes given by DNS name are re-resolved: on their records' TTL,
         *     clamped to these bounds (`min_ttl` at least `100ms`, `max_ttl` not less
         *     than `min_ttl`).
         */
        DnsSettings: {
            /**
             * @description Default `5m`.
             * @default 5m
             */
            max_ttl?: components["schemas"]["Duration"];
            /**
             * @description Default `1s`.
             * @default 1s
             */
            min_ttl?: components["schemas"]["Duration"];
        };
        /**
         * @description A duration: numbers of at most 10 digits with a unit (`ms`, `s`, `m`, `h`, `d`), combinable: `500ms`, `5s`, `1m30s`, `1h`.
         * @example 5s
         */
        Duration: string;
        ExplainRejection: {
            /**
             * @description The gateway's error code for it, as the client gets it (e.g.
             *     `no_route`, `ip_denied`).
             */
            code: string;
            /** @description Why, in English. */
            detail: string;
            /** @description The code of `detail` (e.g. `no_service_matches`). */
            detail_code: string;
            /** @description The parameters of `detail_code`, by name. */
            detail_params: {
                [key: string]: string;
            };
            /** Format: u-int16 */
            status: number;
        };
        /**
         * @description A request to explain: what the gateway would do with it, without sending
         *     it anywhere and without changing any state (balancer cursors, limits).
         */
        ExplainRequest: {
            /**
             * @description Address the request arrives from (the TCP peer). Trusted-proxy
             *     handling then decides the client IP from `X-Forwarded-For`.
             * @example 203.0.113.7
             */
            client_ip: string;
            /** @description Request headers (name → value). */
            headers?: {
                [key: string]: string;
            };
            /**
             * @description Host header (or HTTP/2 authority), port allowed.
             * @example api.example.com
             */
            host?: string | null;
            /**
             * @description HTTP method.
             * @example GET
             */
            method?: string;
            /**
             * @description Path, optionally with a query string.
             * @example /user/42?verbose=1
             */
            path: string;
            /** @description `http` (default) or `https`: which listener the request arrives on. */
            scheme?: components["schemas"]["Scheme"];
        };
        /** @enum {string} */
        ExplainVerdict: "forward" | "reject";
        /** @description Explain's answer: what the gateway would do with a request. */
        Explanation: {
            balancer?: components["schemas"]["BalancerChoice"] | null;
            /** @description The client IP the gateway would use (after trusted-proxy handling). */
            client_ip: string;
            compression?: components["schemas"]["CompressionChoice"] | null;
            cors?: components["schemas"]["CorsReport"] | null;
            mirror?: components["schemas"]["MirrorReport"] | null;
            /** @description Every policy in the order the gateway applies them, with its verdict. */
            policies: components["schemas"]["PolicyVerdict"][];
            rejection?: components["schemas"]["ExplainRejection"] | null;
            resilience?: components["schemas"]["ResilienceReport"] | null;
            /**
             * Format: int64
             * @description Revision of the configuration the answer is based on.
             */
            revision: number;
            route?: components["schemas"]["RouteMatch"] | null;
            split?: components["schemas"]["SplitReport"] | null;
            timeouts?: components["schemas"]["TimeoutsReport"] | null;
            upstream_request?: components["schemas"]["UpstreamRequest"] | null;
            /** @description `forward` when the request would reach a node. */
            verdict: components["schemas"]["ExplainVerdict"];
        };
        /** @description A service in trouble, for the overview. */
        FailingService: {
            health: components["schemas"]["HealthSummary"];
            /** @description `http`, `tcp` or `grpc`. */
            kind: string;
            /** @description The last error of a node in trouble (English), and its node. */
            last_error?: string | null;
            /** @description The kind of `last_error` and its parameters, as in a node's health. */
            last_error_code?: string | null;
            /**
             * Format: int64
             * @description Unix milliseconds of that node's last failed request (or of its
             *     status change when it failed checks).
             */
            last_error_ms?: number | null;
            last_error_node?: string | null;
            last_error_params?: {
                [key: string]: string;
            } | null;
            name: string;
            recent: components["schemas"]["RecentTraffic"];
        };
        FieldDiff: {
            /** @description The value after (absent when the field was removed). */
            after?: unknown;
            /** @description The value before (any JSON value; absent when the field was added). */
            before?: unknown;
            path: string;
        };
        /** @description One problem with one field of the request body. */
        FieldProblem: {
            /**
             * @description Stable code of the message; the dashboard's translations are keyed
             *     by it.
             * @example addr_no_port
             */
            code: string;
            /**
             * @description The message in English.
             * @example "10.0.0.1" has no port (write 10.0.0.1:PORT)
             */
            message: string;
            /**
             * @description The message's named parameters (user data: names, values, limits).
             *     A parameter that is itself a message (a reason) is an object with
             *     `code`, `params` and `message`.
             */
            params: {
                [key: string]: unknown;
            };
            /**
             * @description Dotted path within the request body, `[i]` for list items, e.g.
             *     `upstream.nodes[1].addr`; empty for the body as a whole.
             * @example upstream.nodes[1].addr
             */
            path: string;
        };
        /** @description The fleet. */
        GatewayList: {
            /**
             * Format: u-int64
             * @description Nodes alive now.
             */
            alive: number;
            /** @description Whether every alive node serves `store_revision` (true with none). */
            converged: boolean;
            /**
             * @description Every listed node, oldest start first (stopped and down nodes stay
             *     listed for an hour).
             */
            gateways: components["schemas"]["GatewayNode"][];
            /**
             * Format: int64
             * @description The store's current revision.
             */
            store_revision: number;
        };
        /** @description One node of the fleet. */
        GatewayNode: {
            /** @description The addresses the process listens on, as bound (`0.0.0.0:8080`). */
            addresses: string[];
            /** @description Whether the node serves the store's current revision. */
            current: boolean;
            /**
             * Format: int64
             * @description The node's heartbeat interval in milliseconds.
             */
            heartbeat_ms: number;
            host: string;
            /** @description Random per process start. */
            id: string;
            /**
             * Format: int64
             * @description Unix milliseconds of the last heartbeat.
             */
            last_seen_ms: number;
            limits: components["schemas"]["NodeLimits"];
            /**
             * Format: int64
             * @description The configuration revision the node serves.
             */
            revision: number;
            /** @description `serve` (data plane and admin API) or `proxy` (data plane only). */
            role: string;
            /**
             * Format: int64
             * @description Unix milliseconds.
             */
            started_at_ms: number;
            state: components["schemas"]["GatewayState"];
            /**
             * Format: int64
             * @description Unix milliseconds of a clean shutdown.
             */
            stopped_at_ms?: number | null;
            /** @description Weir's version on the node. */
            version: string;
        };
        /**
         * @description Whether a node is serving, as far as the store can tell (the store's
         *     `GatewayState`, with the API's schema).
         * @enum {string}
         */
        GatewayState: "alive" | "down" | "stopped";
        /**
         * @description A gRPC status: a name (`unavailable`, `resource_exhausted`, any case)
         *     or a code 0–16.
         */
        GrpcStatus: string | number;
        HeaderEntry: {
            name: string;
            value: string;
        };
        HeaderOp: {
            /**
             * @description A header name; not one the gateway manages (`connection`,
             *     `content-length`, `transfer-encoding`, …).
             * @example X-Gateway
             */
            name: string;
            /**
             * @description `add` appends, `set` replaces (seed: `edit`), `remove` deletes (seed: `del`).
             * @enum {string}
             */
            op: "add" | "set" | "remove" | "edit" | "del";
            /** @description Required for `add` and `set`, absent for `remove`. */
            value?: string | null;
        } & unknown;
        /**
         * @description Active health checks of every node of a service. `timeout` may not be
         *     longer than `interval`; `http` checks need an `http` or `grpc` service,
         *     `grpc` checks a `grpc` service.
         */
        HealthCheck: {
            /**
             * @description `http`: accepted statuses (default `200-399`): statuses and ranges
             *     from 100 to 599, comma-separated.
             * @default 200-399
             * @example 200,204,301-302
             */
            expect_status?: string;
            /**
             * @description `grpc`: the service name asked about (default empty: the whole server).
             * @default
             */
            grpc_service?: string;
            /**
             * @description Consecutive successes that bring an unhealthy node back (default 2).
             * @default 2
             */
            healthy?: number;
            /** @description `http`: the Host header (default: the node's address). */
            host?: string | null;
            /**
             * @description Time between checks of one node (default `5s`; jittered; at least
             *     `50ms`).
             * @default 5s
             */
            interval?: components["schemas"]["Duration"];
            /**
             * @description `http`: the path to GET (default `/`).
             * @default /
             * @example /healthz
             */
            path?: string;
            /**
             * @description Time a check may take (default `2s`; greater than 0).
             * @default 2s
             */
            timeout?: components["schemas"]["PositiveDuration"];
            /**
             * @description `tcp` (connect; the default), `http` (GET `path`, expect a status in
             *     `expect_status`) or `grpc` (`grpc.health.v1.Health/Check`).
             * @default tcp
             * @enum {string}
             */
            type?: "tcp" | "http" | "grpc";
            /**
             * @description Consecutive failures that take a node out (default 3).
             * @default 3
             */
            unhealthy?: number;
        };
        /** @enum {string} */
        HealthState: "down" | "degraded" | "unknown" | "healthy" | "off";
        /** @description A service's health in one word, with node counts. */
        HealthSummary: {
            /**
             * Format: u-int32
             * @description Nodes `failing`, `unhealthy` or `ejected`.
             */
            failing: number;
            /**
             * Format: u-int32
             * @description Nodes `healthy` now.
             */
            healthy: number;
            state: components["schemas"]["HealthState"];
            /**
             * Format: u-int32
             * @description Every node, disabled ones included.
             */
            total: number;
        };
        /**
         * @description A heartbeat: renews the registration for its TTL; any field given
         *     replaces the registered one.
         */
        HeartbeatRequest: {
            metadata?: {
                [key: string]: string;
            } | null;
            ttl?: components["schemas"]["Ttl"] | null;
            /** Format: u-int32 */
            weight?: number | null;
        };
        /**
         * @description One hour (or one day) of one scope's traffic. Every request is counted
         *     once, in one status class: `status_1xx` … `status_5xx` sum to
         *     `requests`. `rejected` is not another class but the part of those
         *     requests the gateway answered itself (each is also in its status class).
         *     For TCP services a request is a connection and its status is 200 when
         *     it reached a node.
         */
        HourPoint: {
            /**
             * Format: u-int64
             * @description TCP services: bytes from clients to nodes.
             */
            bytes_in: number;
            /**
             * Format: u-int64
             * @description TCP services: bytes from nodes to clients.
             */
            bytes_out: number;
            /**
             * Format: u-int64
             * @description gRPC calls that failed on the server side (`grpc-status` UNKNOWN,
             *     DEADLINE_EXCEEDED, INTERNAL, UNAVAILABLE or DATA_LOSS) although
             *     answered with an HTTP 200: a part of `status_2xx`, the errors a
             *     status class cannot show.
             */
            failed_grpc: number;
            /**
             * Format: u-int32
             * @description Hour of the day, 0–23, in the configured time zone (0 for a day).
             */
            hour: number;
            /**
             * Format: double
             * @description Median latency in milliseconds over the hour (or day); absent when
             *     there were no requests.
             */
            p50_ms?: number | null;
            /** Format: double */
            p99_ms?: number | null;
            /**
             * Format: u-int64
             * @description Of `requests`, those the gateway answered itself (policies, upstream
             *     failures, client errors, no route); already in their status class.
             */
            rejected: number;
            /** Format: u-int64 */
            requests: number;
            /**
             * Format: u-int64
             * @description Informational answers, e.g. 101 for WebSocket upgrades.
             */
            status_1xx: number;
            /** Format: u-int64 */
            status_2xx: number;
            /** Format: u-int64 */
            status_3xx: number;
            /** Format: u-int64 */
            status_4xx: number;
            /** Format: u-int64 */
            status_5xx: number;
        };
        /** @description Hourly series for today and yesterday. */
        HourlySeries: {
            /** @description Whether statistics are collected; when false every count is zero. */
            available: boolean;
            /**
             * @description The scope's traffic now: requests in the last second and the last
             *     few minutes' errors and rejections.
             */
            current: components["schemas"]["Traffic"];
            /**
             * @description Today as a whole; its `p50_ms`/`p99_ms` are over every request of
             *     the day.
             */
            day: components["schemas"]["HourPoint"];
            /**
             * @description gRPC calls today by final `grpc-status` code (`"0"` OK, `"14"`
             *     UNAVAILABLE…; `"other"` for codes above 16). A call that ended
             *     without one counts as `"2"` (UNKNOWN).
             */
            grpc_status_today: {
                [key: string]: number;
            };
            /** @description The same, grouped by class. */
            rejections_by_class: components["schemas"]["RejectionClasses"];
            /** @description Rejections today by reason (e.g. `service_rate_limited`). */
            rejections_today: {
                [key: string]: number;
            };
            /** @description The time zone that defines the calendar days. */
            time_zone: string;
            /** @description 24 points (hours not reached yet are zero). */
            today: components["schemas"]["HourPoint"][];
            yesterday: components["schemas"]["HourPoint"][];
        };
        /**
         * @description A switchable list of addresses and networks (`10.0.0.1`, `10.0.0.0/8`,
         *     `2001:db8::/32`, `192.168.1.*`); an enabled list may not be empty.
         */
        IpList: {
            /**
             * @description Default true when the list is written.
             * @default true
             */
            enabled?: boolean;
            /** @default [] */
            ips?: string[];
        };
        /** @description A signing key without its key material. */
        KeyInfo: {
            /** @description `HS256`, `RS256` or `EdDSA`. */
            algorithm: string;
            /**
             * Format: int64
             * @description Unix seconds.
             */
            created_at?: number | null;
            /** @description Key id (`kid`). */
            name: string;
            /** @description `active` (signs new tokens) or `verify_only`. */
            status: string;
            /**
             * Format: int64
             * @description Send in `If-Match` to retire the key.
             */
            version: number;
        };
        /**
         * @description Where a node counts its limits and quotas.
         * @enum {string}
         */
        LimitsMode: "local" | "shared" | "degraded";
        /**
         * @description The listener of one service with its own port (`tcp` services, `grpc`
         *     services with `port`).
         */
        ListenerInfo: {
            /** @description Why binding failed (`failed` only). */
            error?: string | null;
            /**
             * @description `tcp` or `grpc`.
             * @example tcp
             */
            kind: string;
            /** Format: u-int16 */
            port: number;
            service: string;
            /**
             * Format: int64
             * @description Unix seconds of the last state change.
             */
            since: number;
            state: components["schemas"]["ListenerState"];
        };
        ListenerList: {
            /**
             * @description False in a process that runs no data plane (`weir admin`): it has no
             *     listeners to report, which says nothing about the proxies.
             */
            available: boolean;
            /** @description By service name. */
            listeners: components["schemas"]["ListenerInfo"][];
        };
        /** @enum {string} */
        ListenerState: "listening" | "failed";
        LoginRequest: {
            password: string;
            /** @example admin */
            username: string;
        };
        /**
         * @description Copies of a share of the requests, as the upstream gets them (with
         *     `X-Weir-Mirror: 1`), sent to `service`'s upstream once the client's
         *     body has arrived (bodies up to 64 KiB; larger ones are not copied); the
         *     shadow's answers are discarded and never slow or fail the client.
         *     `service` is another existing service of the same kind.
         */
        Mirror: {
            /**
             * Format: double
             * @description Percent of the requests copied, 0.01 to 100 (at most two decimals);
             *     default 100.
             * @default 100
             * @example 10
             */
            percent?: number;
            /**
             * @description Unique name. Letters, digits, `_`, `-`, `.`, starting with a letter or digit; at most 64 characters.
             * @example user_api
             */
            service: string;
        };
        /**
         * @description Explain's mirror line: where copies go and whether this request would
         *     be copied.
         */
        MirrorReport: {
            /**
             * Format: u-int32
             * @description The share copied, in hundredths of a percent.
             */
            basis_points: number;
            /**
             * @description Whether the next request would be copied (the share is spread
             *     request by request). An upgrade is never copied.
             */
            copied: boolean;
            /**
             * @description The service whose upstream gets the copies (their answers are
             *     discarded).
             */
            service: string;
        };
        /** @description Health of one configured or discovered node. */
        NodeHealth: {
            addr: string;
            /** @description Configured `enabled` (the seed's forbid list). */
            enabled: boolean;
            /**
             * Format: u-int32
             * @description Requests to the node that failed in a row, up to now.
             */
            failed_in_a_row: number;
            /**
             * Format: u-int64
             * @description Requests in flight to the node (least_request), when known.
             */
            in_flight?: number | null;
            /**
             * Format: int64
             * @description Unix milliseconds of the last active check.
             */
            last_check_ms?: number | null;
            /** @description The last failed check's or request's error, in English. */
            last_error?: string | null;
            /**
             * @description The kind of `last_error` (e.g. `connect_refused`, `connect_timeout`,
             *     `reset`, `tls`, `dns`, `failure_status`, `check_status`).
             * @example connect_refused
             */
            last_error_code?: string | null;
            /** @description The parameters of `last_error_code`, by name (`addr` always). */
            last_error_params?: {
                [key: string]: string;
            } | null;
            /**
             * Format: int64
             * @description Unix milliseconds of the last failed request (passive health).
             */
            last_failure_ms?: number | null;
            /**
             * Format: int64
             * @description Unix milliseconds since which `status` holds.
             */
            since_ms?: number | null;
            status: components["schemas"]["NodeStatus"];
            /** Format: u-int32 */
            weight: number;
        };
        /** @description Where a node counts its limits, as of its last heartbeat. */
        NodeLimits: {
            mode: components["schemas"]["LimitsMode"];
            /** @description Why the node is degraded (`connection refused`, `timed out`, …). */
            reason?: string | null;
            /**
             * Format: int64
             * @description Unix milliseconds since when the node is degraded.
             */
            since_ms?: number | null;
        };
        NodeRef: {
            addr: string;
            /** @description Position in the service's node list. */
            index: number;
            /** Format: u-int32 */
            weight: number;
        };
        /** @enum {string} */
        NodeStatus: "unknown" | "healthy" | "unhealthy" | "ejected" | "failing" | "disabled";
        /**
         * @description Passive health: take a node out after consecutive failed requests.
         *     `max_ejection` may not be shorter than `base_ejection`.
         */
        Outlier: {
            /**
             * @description First ejection time; each further ejection doubles it (default `30s`;
             *     greater than 0).
             * @default 30s
             */
            base_ejection?: components["schemas"]["PositiveDuration"];
            /**
             * @description Failed requests in a row (connect errors, resets, `failure_statuses`) that eject a node (default 5).
             * @default 5
             */
            consecutive_failures?: number;
            /**
             * @description Upstream statuses that count as failures (default 502, 503, 504).
             * @default [
             *       502,
             *       503,
             *       504
             *     ]
             * @example [
             *       502,
             *       503,
             *       504
             *     ]
             */
            failure_statuses?: number[];
            /**
             * @description Largest share of nodes (percent) ejected at once (default 50).
             * @default 50
             */
            max_ejected_percent?: number;
            /**
             * @description Longest ejection (default `5m`).
             * @default 5m
             */
            max_ejection?: components["schemas"]["Duration"];
        };
        /** @description One page of a list. */
        Page_AuditRecord: {
            items: {
                /** @description e.g. `service.update`, `revision.rollback`, `session.login`. */
                action: string;
                /** @description User or API token name. */
                actor: string;
                /** @description `user` or `token`. */
                actor_kind: string;
                /** Format: int64 */
                at_ms: number;
                /** @description In English (may be empty). */
                detail: string;
                /**
                 * @description The detail's message code (`no_change`, `request_failed`,
                 *     `wrong_credentials`, …) to show it in another language with
                 *     `detail_params`; absent without a detail and for entries written
                 *     before Weir stored codes. A client that does not know the code shows
                 *     `detail`.
                 */
                detail_code?: string | null;
                /** @description The code's parameters, by name. */
                detail_params?: {
                    [key: string]: unknown;
                } | null;
                /** Format: int64 */
                id: number;
                /** @description The client's address as the admin listener saw it (TCP peer). */
                ip: string;
                /** @description `ok`, `denied` or `failed`. */
                outcome: string;
                /**
                 * Format: int64
                 * @description The revision a configuration write created.
                 */
                revision?: number | null;
                /** @description e.g. `service/user_api`. */
                target: string;
            }[];
            /** Format: u-int32 */
            page: number;
            /** Format: u-int32 */
            page_size: number;
            /**
             * Format: u-int64
             * @description Items matching the filters, on all pages.
             */
            total: number;
        };
        /** @description One page of a list. */
        Page_CertificateInfo: {
            items: {
                /** @description Served to clients without SNI or with a name no certificate covers. */
                default: boolean;
                /**
                 * @description DNS names it covers (`*.example.com` for wildcards); the subject's
                 *     common name when it has no DNS subject alternative names.
                 */
                dns_names: string[];
                /**
                 * @description Set when the stored certificate cannot be read (the other fields are
                 *     then empty); absent normally.
                 */
                error?: string | null;
                expired: boolean;
                /**
                 * Format: int64
                 * @description Whole days until `not_after` (negative once expired).
                 */
                expires_in_days: number;
                /** @description Not expired, but fewer than 30 days left. */
                expiring_soon: boolean;
                /** @example CN=Example CA, O=Example */
                issuer: string;
                name: string;
                /**
                 * Format: int64
                 * @description Unix seconds.
                 */
                not_after: number;
                /**
                 * @description `not_after` as an ISO 8601 UTC time.
                 * @example 2026-04-01T00:00:00Z
                 */
                not_after_iso: string;
                /**
                 * Format: int64
                 * @description Unix seconds.
                 */
                not_before: number;
                /**
                 * @description `not_before` as an ISO 8601 UTC time.
                 * @example 2026-01-01T00:00:00Z
                 */
                not_before_iso: string;
                /** @example CN=api.example.com */
                subject: string;
                /**
                 * Format: int64
                 * @description The revision that last changed it; send it in `If-Match`.
                 */
                version: number;
            }[];
            /** Format: u-int32 */
            page: number;
            /** Format: u-int32 */
            page_size: number;
            /**
             * Format: u-int64
             * @description Items matching the filters, on all pages.
             */
            total: number;
        };
        /** @description One page of a list. */
        Page_Registration: {
            items: {
                /**
                 * @description `ip:port`, as the gateway connects to it.
                 * @example 10.0.0.5:8080
                 */
                addr: string;
                /** Format: int64 */
                created_at_ms: number;
                /**
                 * Format: int64
                 * @description Unix milliseconds when the registration lapses unless renewed.
                 */
                expires_at_ms: number;
                /**
                 * @description Use it to heartbeat and deregister. Registering the same service and
                 *     address again answers the same id.
                 * @example 5f0c3e9a1b2d4c6e8f00112233445566
                 */
                id: string;
                metadata: {
                    [key: string]: string;
                };
                service: string;
                /**
                 * @description The TTL, e.g. `30s`.
                 * @example 30s
                 */
                ttl: string;
                /** Format: int64 */
                ttl_ms: number;
                /**
                 * Format: int64
                 * @description Unix milliseconds of the last registration or heartbeat.
                 */
                updated_at_ms: number;
                /** Format: u-int32 */
                weight: number;
            }[];
            /** Format: u-int32 */
            page: number;
            /** Format: u-int32 */
            page_size: number;
            /**
             * Format: u-int64
             * @description Items matching the filters, on all pages.
             */
            total: number;
        };
        /** @description One page of a list. */
        Page_RevisionInfo: {
            items: {
                /** @description User or API token name (or the CLI user for `weir apply`). */
                author: string;
                /** Format: int64 */
                created_at_ms: number;
                /** Format: int64 */
                id: number;
                /** @description `api`, `cli`, … */
                source: string;
                /**
                 * @description In English, or as a person wrote it (`weir apply -m`, a rollback's
                 *     `message`).
                 */
                summary: string;
                /**
                 * @description For a summary Weir generated, its message code (`changes`,
                 *     `rollback`, `tenant_secret_reset`, …) to show it in another language
                 *     with `summary_params`; absent for one a person wrote and for
                 *     revisions written before Weir stored codes. A client that does not
                 *     know the code shows `summary`.
                 */
                summary_code?: string | null;
                /**
                 * @description The code's parameters, by name. `changes` (in `changes` and
                 *     `rollback`) is a list of `{kind, op, names, more, fields,
                 *     more_fields}`: per kind (`services`, …) and operation (`add`,
                 *     `update`, `remove`) the first names, how many more, and for a
                 *     single update its changed fields.
                 */
                summary_params?: {
                    [key: string]: unknown;
                } | null;
            }[];
            /** Format: u-int32 */
            page: number;
            /** Format: u-int32 */
            page_size: number;
            /**
             * Format: u-int64
             * @description Items matching the filters, on all pages.
             */
            total: number;
        };
        /** @description One page of a list. */
        Page_ServiceSummary: {
            items: {
                balance: string;
                /**
                 * Format: u-int32
                 * @description How many method, header and query conditions the rule has.
                 */
                conditions?: number;
                description: string;
                enabled: boolean;
                /**
                 * Format: u-int32
                 * @description Nodes configured `enabled`.
                 */
                enabled_node_count: number;
                /**
                 * @description Node health now (`off` for a disabled service); `total` counts
                 *     discovered and registered nodes too.
                 */
                health: components["schemas"]["HealthSummary"];
                /** @description The rule's host pattern (`match.host`), if any. */
                host?: string | null;
                /** @description `http`, `tcp` or `grpc`. */
                kind: string;
                name: string;
                /** Format: u-int32 */
                node_count: number;
                /** @description The rule's exact path (`match.path`), if any. */
                path?: string | null;
                /** @description The rule's path regex (`match.path_regex`), if any. */
                path_regex?: string | null;
                /**
                 * Format: u-int16
                 * @description The service's own port, if any.
                 */
                port?: number | null;
                /** @description The rule's path prefix (`match.prefix`), if any. */
                prefix?: string | null;
                /**
                 * Format: u-int64
                 * @description Requests in the last second.
                 */
                qps: number;
                /** @description The last few minutes: requests, errors, rejections and their rates. */
                recent: components["schemas"]["RecentTraffic"];
                /**
                 * @description The rule: `prefix /user/`, `host api.example.com`, `host a.com + prefix /x`,
                 *     `path /login`, `path_regex /u/[0-9]+`, `2 conditions`, `port 6379` (TCP
                 *     and gRPC services with their own port). English words: a dashboard
                 *     builds its own text from the fields below.
                 */
                rule: string;
                /**
                 * Format: u-int64
                 * @description Requests today (0 when statistics are not available).
                 */
                today_requests: number;
                /** Format: int64 */
                version: number;
            }[];
            /** Format: u-int32 */
            page: number;
            /** Format: u-int32 */
            page_size: number;
            /**
             * Format: u-int64
             * @description Items matching the filters, on all pages.
             */
            total: number;
        };
        /** @description One page of a list. */
        Page_TenantSummary: {
            items: {
                app_id: string;
                description: string;
                enabled: boolean;
                name: string;
                /**
                 * Format: u-int64
                 * @description Requests per day allowed; 0 = unlimited.
                 */
                qpd_limit: number;
                /** Format: u-int64 */
                qps: number;
                /**
                 * Format: u-int32
                 * @description Requests per second allowed; 0 = unlimited.
                 */
                qps_limit: number;
                /** Format: u-int64 */
                today_requests: number;
                /** Format: int64 */
                version: number;
            }[];
            /** Format: u-int32 */
            page: number;
            /** Format: u-int32 */
            page_size: number;
            /**
             * Format: u-int64
             * @description Items matching the filters, on all pages.
             */
            total: number;
        };
        /** @enum {string} */
        PolicyOutcome: "allow" | "reject" | "skip" | "depends";
        PolicyVerdict: {
            /** @description Why, in English (e.g. `203.0.113.7 is not on the allow list`). */
            detail: string;
            /**
             * @description The code of `detail` (e.g. `not_on_allow_list`).
             * @example not_on_allow_list
             */
            detail_code: string;
            /** @description The parameters of `detail_code`, by name (e.g. `client`). */
            detail_params: {
                [key: string]: string;
            };
            outcome: components["schemas"]["PolicyOutcome"];
            /**
             * @description In the order the gateway applies them: `path`, `routing`, `host`,
             *     `https_redirect`, `ip_allow`, `ip_deny`, `auth`, `auth_tenants`,
             *     `tenant_ip`, `service_qps`, `client_ip_qps`, `tenant_limits`,
             *     `websocket`, `max_body_bytes`.
             */
            policy: string;
        };
        /**
         * @description A duration greater than zero (see Duration): `500ms`, `5s`.
         * @example 5s
         */
        PositiveDuration: string;
        /** @description A problem document (RFC 9457). */
        Problem: {
            /**
             * @description Stable machine-readable code; see docs/admin-api.md for the list.
             * @example validation_failed
             */
            code: string;
            /** @description What went wrong in this occurrence, for people (English). */
            detail: string;
            /** @description Field problems (validation errors); empty otherwise. */
            errors: components["schemas"]["FieldProblem"][];
            /**
             * @description The data `detail` names, for a client that words the problem itself
             *     from `code`: e.g. `{"kind": "service", "name": "web"}` for
             *     `not_found`; empty when the detail names nothing. See
             *     docs/admin-api.md for the parameters of each code.
             */
            params: {
                [key: string]: unknown;
            };
            /**
             * Format: u-int16
             * @description The HTTP status code.
             * @example 422
             */
            status: number;
            /**
             * @description Short summary of the problem type.
             * @example The request is not valid
             */
            title: string;
            /**
             * @description URI identifying the problem type: `urn:weir:problem:<code>`.
             * @example urn:weir:problem:validation_failed
             */
            type: string;
        };
        /**
         * @description Requests of one scope in the last few minutes, as this process counted
         *     them (another gateway process's traffic is not included). Each request
         *     is counted once in `requests`; the other numbers are parts of it.
         */
        RecentTraffic: {
            /**
             * Format: u-int64
             * @description Client errors answered by the gateway: bad requests, body faults,
             *     clients that went away.
             */
            client_errors: number;
            /**
             * Format: double
             * @description `errors / requests`, 0–1; absent without requests.
             */
            error_rate?: number | null;
            /**
             * Format: u-int64
             * @description Answered with a 5xx status, by a node or by the gateway; for gRPC
             *     also calls that ended with UNKNOWN, DEADLINE_EXCEEDED, INTERNAL,
             *     UNAVAILABLE or DATA_LOSS (gRPC sends those with HTTP 200).
             */
            errors: number;
            /**
             * Format: u-int64
             * @description Answered by the gateway because the upstream failed: connect
             *     errors, timeouts, broken answers, no node available.
             */
            failed_upstream: number;
            /**
             * Format: u-int64
             * @description Refused by a policy: access rules, authentication, tenants, rate
             *     limits, quotas, connection limits.
             */
            rejected_policy: number;
            /**
             * Format: double
             * @description `rejected_policy / requests`, 0–1; absent without requests.
             */
            rejection_rate?: number | null;
            /** Format: u-int64 */
            requests: number;
            /**
             * Format: u-int64
             * @description Seconds covered: 300, less just after start.
             */
            window_secs: number;
        };
        /** @description Register an instance of a service. */
        RegisterRequest: {
            /**
             * @description The instance's `ip:port` (a literal address, no host name).
             * @example 10.0.0.5:8080
             */
            addr: string;
            /**
             * @description Free-form strings (at most 32 entries; keys up to 64 characters,
             *     values up to 512).
             */
            metadata?: {
                [key: string]: string;
            } | null;
            ttl?: components["schemas"]["Ttl"] | null;
            /**
             * Format: u-int32
             * @description Default 1; 1 to 1,000,000.
             */
            weight?: number | null;
        };
        /** @description A self-registered node, as `GET /api/v1/nodes` shows it. */
        RegisteredNode: {
            addr: string;
            /**
             * Format: int64
             * @description Unix milliseconds when the registration lapses unless renewed.
             */
            expires_at_ms: number;
            id: string;
            metadata: {
                [key: string]: string;
            };
            service: string;
            /** Format: u-int32 */
            weight: number;
        };
        RegisteredNodes: {
            /** @description Always true: registrations are read from the store. */
            available: boolean;
            nodes: components["schemas"]["RegisteredNode"][];
        };
        /** @description A live registration. */
        Registration: {
            /**
             * @description `ip:port`, as the gateway connects to it.
             * @example 10.0.0.5:8080
             */
            addr: string;
            /** Format: int64 */
            created_at_ms: number;
            /**
             * Format: int64
             * @description Unix milliseconds when the registration lapses unless renewed.
             */
            expires_at_ms: number;
            /**
             * @description Use it to heartbeat and deregister. Registering the same service and
             *     address again answers the same id.
             * @example 5f0c3e9a1b2d4c6e8f00112233445566
             */
            id: string;
            metadata: {
                [key: string]: string;
            };
            service: string;
            /**
             * @description The TTL, e.g. `30s`.
             * @example 30s
             */
            ttl: string;
            /** Format: int64 */
            ttl_ms: number;
            /**
             * Format: int64
             * @description Unix milliseconds of the last registration or heartbeat.
             */
            updated_at_ms: number;
            /** Format: u-int32 */
            weight: number;
        };
        /** @description A page of registrations, with the registration sequence. */
        RegistrationList: components["schemas"]["Page_Registration"] & {
            /**
             * Format: int64
             * @description Changes whenever a registration is added, removed or changes weight,
             *     metadata or TTL (not on plain renewals): poll it to notice changes.
             */
            seq: number;
        };
        /** @description Today's rejections by reason, grouped by whose doing they were. */
        RejectionClasses: {
            /**
             * @description Client errors: `bad_request`, `request_body_timeout`,
             *     `request_body_too_large`, `client_closed`.
             */
            client: {
                [key: string]: number;
            };
            /**
             * @description Policy refusals: `ip_refused`, `unauthenticated`, `tenant_ip_refused`,
             *     `tenant_not_allowed`, `service_rate_limited`, `client_ip_rate_limited`,
             *     `tenant_rate_limited`, `quota_exceeded`, `upgrade_not_allowed`,
             *     `connection_limit`, `circuit_open`.
             */
            policy: {
                [key: string]: number;
            };
            /**
             * @description Routing: `no_route` (404), `https_redirect`; and reasons this version
             *     does not know.
             */
            routing: {
                [key: string]: number;
            };
            /**
             * @description Upstream failures: `no_available_node`, `upstream_connect`,
             *     `upstream_timeout`, `upstream_error`, `internal_error`.
             */
            upstream: {
                [key: string]: number;
            };
        };
        /** @description The retry policy and circuit breaker that apply to a request. */
        ResilienceReport: {
            circuit_breaker?: components["schemas"]["BreakerReport"] | null;
            retry: components["schemas"]["RetryReport"];
        };
        /** @description One resource that differs. */
        ResourceChange: {
            /** @description The spec after (absent for `remove`). */
            after?: {
                [key: string]: unknown;
            } | null;
            /** @description The spec before (absent for `add`). */
            before?: {
                [key: string]: unknown;
            } | null;
            /** @description Changed fields (for `update`), e.g. `upstream.nodes[1].weight`. */
            fields: components["schemas"]["FieldDiff"][];
            /** @description `service`, … */
            kind: string;
            name: string;
            op: components["schemas"]["ChangeOp"];
        };
        /**
         * @description Exponential back-off with full jitter: before retry `n` a random wait up
         *     to `min(max, base × 2^(n-1))`. `max` may not be less than `base`; both at
         *     most 60s.
         */
        RetryBackoff: {
            /**
             * @description Default `25ms`; `0ms`: no wait.
             * @default 25ms
             */
            base?: components["schemas"]["Duration"];
            /**
             * @description Default `250ms`.
             * @default 250ms
             */
            max?: components["schemas"]["Duration"];
        };
        /**
         * @description Retries the upstream takes on top of its traffic: at most `percent` of
         *     its requests in flight may be retried at once, and `min_per_second`
         *     retries may start each second regardless.
         */
        RetryBudget: {
            /**
             * @description Retries that may start each second whatever the share says (default 10).
             * @default 10
             */
            min_per_second?: number;
            /**
             * @description Share of the requests in flight that may be retried at once, in percent (default 20).
             * @default 20
             */
            percent?: number;
        };
        /**
         * @description How failed requests are tried again. A request that reached a node is
         *     sent again only when replayable: an idempotent method with no body or
         *     one of at most 64 KiB, or a gRPC call answered with one of
         *     `grpc_statuses`.
         */
        RetryPolicy: {
            /**
             * @description Tries in all, the first included (default 2; 1 = never retry).
             * @default 2
             */
            attempts?: number;
            backoff?: components["schemas"]["RetryBackoff"];
            budget?: components["schemas"]["RetryBudget"];
            /**
             * @description gRPC statuses tried again when the node answers with them in the
             *     response head (Trailers-Only): names such as `unavailable` or
             *     numbers 0–16. `grpc` services only.
             * @default []
             */
            grpc_statuses?: components["schemas"]["GrpcStatus"][];
            per_try_timeout?: components["schemas"]["PositiveDuration"] | null;
            /**
             * @description The failures tried again (default `connect_failure`, `reset`,
             *     `timeout`).
             * @default [
             *       "connect_failure",
             *       "reset",
             *       "timeout"
             *     ]
             */
            retry_on?: ("connect_failure" | "reset" | "timeout" | "5xx" | "gateway_error")[];
            /**
             * @description Response statuses tried again besides those `retry_on` names (default none).
             * @default []
             * @example [
             *       429
             *     ]
             */
            statuses?: number[];
        };
        /** @description How a request would be tried again. */
        RetryReport: {
            /**
             * Format: u-int32
             * @description Tries in all, the first included.
             */
            attempts: number;
            /**
             * Format: u-int64
             * @description Back-off before retries: full jitter up to `min(max, base × 2^(n-1))`.
             */
            backoff_base_ms: number;
            /** Format: u-int64 */
            backoff_max_ms: number;
            /**
             * Format: u-int32
             * @description Retries that may start each second whatever the share says.
             */
            budget_min_per_second?: number | null;
            /**
             * Format: u-int32
             * @description Share of live requests that may be retries at once.
             */
            budget_percent?: number | null;
            /**
             * @description `true` when the upstream has a `retry` block; `false`: the built-in
             *     behaviour (one more try on another node).
             */
            configured: boolean;
            /** @description Which failures retry this request, in English. */
            detail: string;
            /** @description The code of `detail` (e.g. `retry_replayable`). */
            detail_code: string;
            /** @description The parameters of `detail_code`, by name. */
            detail_params: {
                [key: string]: string;
            };
            /** @description gRPC statuses tried again, by name. */
            grpc_statuses: string[];
            /** Format: u-int64 */
            per_try_timeout_ms?: number | null;
            /**
             * @description Whether this request may be sent again after it reached a node
             *     (an idempotent method and no body). A request that never reached a
             *     node may always be.
             */
            replayable: boolean;
            /**
             * @description The conditions tried again (`connect_failure`, `reset`, `timeout`,
             *     `5xx`, `gateway_error`).
             */
            retry_on: string[];
            /** @description Further response statuses tried again. */
            statuses: number[];
        };
        RevisionDetail: components["schemas"]["RevisionInfo"] & {
            changes: components["schemas"]["ResourceChange"][];
        };
        RevisionDiff: {
            changes: components["schemas"]["ResourceChange"][];
            /** Format: int64 */
            from: number;
            /** Format: int64 */
            to: number;
        };
        RevisionInfo: {
            /** @description User or API token name (or the CLI user for `weir apply`). */
            author: string;
            /** Format: int64 */
            created_at_ms: number;
            /** Format: int64 */
            id: number;
            /** @description `api`, `cli`, … */
            source: string;
            /**
             * @description In English, or as a person wrote it (`weir apply -m`, a rollback's
             *     `message`).
             */
            summary: string;
            /**
             * @description For a summary Weir generated, its message code (`changes`,
             *     `rollback`, `tenant_secret_reset`, …) to show it in another language
             *     with `summary_params`; absent for one a person wrote and for
             *     revisions written before Weir stored codes. A client that does not
             *     know the code shows `summary`.
             */
            summary_code?: string | null;
            /**
             * @description The code's parameters, by name. `changes` (in `changes` and
             *     `rollback`) is a list of `{kind, op, names, more, fields,
             *     more_fields}`: per kind (`services`, …) and operation (`add`,
             *     `update`, `remove`) the first names, how many more, and for a
             *     single update its changed fields.
             */
            summary_params?: {
                [key: string]: unknown;
            } | null;
        };
        RewriteRule: {
            /**
             * @description Regular expression over the path (Rust `regex` syntax; it must
             *     compile).
             * @example ^/v1/(.*)
             */
            pattern: string;
            /**
             * @description Replacement; `$1`, `${1}`, `${name}` refer to groups, which the
             *     pattern must have.
             * @example /api/v1/$1
             */
            replacement: string;
        };
        /** @enum {string} */
        Role: "admin" | "viewer" | "registrar";
        RollbackRequest: {
            /** @description Summary for the new revision (default: `rollback to revision N: …`). */
            message?: string | null;
        };
        RotateRequest: {
            algorithm?: components["schemas"]["Algorithm"] | null;
            /**
             * @description Name (`kid`) of the new key (default `key-<unix seconds>`). Letters, digits, `_`, `-`, `.`, starting with a letter or digit; at most 64 characters.
             * @example k2
             */
            name?: string | null;
        };
        Rotated: {
            /** @description The new active key. */
            active: string;
            keys: components["schemas"]["KeyInfo"][];
            /**
             * Format: int64
             * @description The revision written.
             */
            revision?: number | null;
        };
        /**
         * @description A condition on one header or query parameter: exactly one of `exact`
         *     (the value, byte for byte), `regex` (the whole value must match) and
         *     `present` (true: there with any value; false: absent). A header with
         *     several values matches when one of them does.
         */
        RouteFieldMatch: {
            /** @example 1 */
            exact?: string | null;
            /**
             * @description Header name or query parameter name.
             * @example X-Canary
             */
            name: string;
            present?: boolean | null;
            /** @example ^v[23]$ */
            regex?: string | null;
        } & (unknown & unknown & unknown & unknown);
        RouteMatch: {
            /**
             * @description The service's method, header and query conditions, each as text
             *     (`method GET|POST`, `header x-canary = "1"`, `query v ~ "2.*"`,
             *     `header x-debug absent`); all held.
             */
            conditions?: string[];
            /** @description The service's `match.host`, when it has one. */
            host?: string | null;
            kind: string;
            /** @description The service's `match.path` (exact path), when it has one. */
            path?: string | null;
            /** @description The service's `match.path_regex`, when it has one. */
            path_regex?: string | null;
            /** @description The service's `match.prefix`, when it has one. */
            prefix?: string | null;
            /**
             * @description Why this service: e.g. `host api.example.com matches "api.example.com"
             *     (any path)`.
             */
            reason: string;
            /**
             * @description The code of `reason` (e.g. `route_host`).
             * @example route_host
             */
            reason_code: string;
            /** @description The parameters of `reason_code`, by name. */
            reason_params: {
                [key: string]: string;
            };
            service: string;
        };
        /**
         * @description A route's timeouts; each absent field keeps the upstream's value. `idle`
         *     is not here: it belongs to the upstream's pooled connections. Mirror
         *     copies keep the shadow's own timeouts.
         */
        RouteTimeouts: {
            connect?: components["schemas"]["PositiveDuration"] | null;
            response_header?: components["schemas"]["PositiveDuration"] | null;
            stream_idle?: components["schemas"]["PositiveDuration"] | null;
        };
        /** @description What the running data plane reports about itself. */
        RuntimeStatus: {
            /**
             * @description Whether this process runs the data plane (`weir serve`, `weir proxy`)
             *     or only follows the store for explain (`weir admin`).
             */
            data_plane: boolean;
            /**
             * Format: u-int64
             * @description Revisions refused because they failed to compile.
             */
            install_failures: number;
            /**
             * Format: u-int64
             * @description Configurations installed since start.
             */
            installs: number;
            /** @description Services in that configuration. */
            services: number;
            /**
             * Format: int64
             * @description Revision of the configuration currently serving traffic.
             */
            snapshot_revision: number;
        };
        /** @enum {string} */
        Scheme: "http" | "https";
        /**
         * @description Self-registration of instances into the service
         *     (`POST /api/v1/services/{name}/registrations`): off unless enabled.
         */
        SelfRegistration: {
            /**
             * @description Networks registered addresses must lie in; required when enabled.
             *     Loopback is accepted only when an entry lies inside it
             *     (`127.0.0.0/8`, `::1`).
             * @default []
             * @example [
             *       "10.0.0.0/8"
             *     ]
             */
            allowed_cidrs?: string[];
            /**
             * @description Accept registrations (default false).
             * @default false
             */
            enabled?: boolean;
            /**
             * Format: u-int32
             * @description Live registrations at most (default 50).
             * @default 50
             */
            max_instances?: number;
        };
        /**
         * @description A proxied service: `http`, `tcp` or `grpc`. Rules that depend on the
         *     kind: an `http` service needs `match` and takes no `port`; a `tcp` service
         *     needs `port` and takes no `match`, `strip_prefix`, `rewrite`,
         *     `request_headers`, `response_headers`, `cors`, `websocket`, `https_redirect`, `access.auth`,
         *     `upstream.tls`, `compression` or a `hash_key` other than `client_ip`; a
         *     `grpc` service needs `port`, `match` or both, and takes no `websocket`,
         *     `https_redirect` or `compression`. Names, routes and ports are unique across services.
         */
        Service: {
            access?: components["schemas"]["ServiceAccess"];
            /**
             * @description Accept an encoded slash (`%2F`) in request paths (kept encoded);
             *     default false: such requests get 400.
             * @default false
             */
            allow_encoded_slashes?: boolean;
            compression?: components["schemas"]["Compression"] | null;
            cors?: components["schemas"]["Cors"] | null;
            /** @default  */
            description?: string;
            /**
             * @description Default true; a disabled service is kept but not routed.
             * @default true
             */
            enabled?: boolean;
            /**
             * @description Answer plain-HTTP requests with a redirect to HTTPS.
             * @default false
             */
            https_redirect?: boolean;
            /**
             * @default http
             * @enum {string}
             */
            kind?: "http" | "tcp" | "grpc";
            limits?: components["schemas"]["ServiceLimits"];
            match?: components["schemas"]["ServiceMatch"];
            /**
             * Format: u-int64
             * @description Largest request body in bytes; absent or 0 = no limit. A larger
             *     `Content-Length` gets 413 before anything is forwarded; a streamed
             *     body is cut with 413 when it crosses the limit. gRPC: all messages
             *     of one call; WebSocket tunnels are not counted. Not for `tcp`.
             * @example 10485760
             */
            max_body_bytes?: number | null;
            mirror?: components["schemas"]["Mirror"] | null;
            /**
             * @description Unique name. Letters, digits, `_`, `-`, `.`, starting with a letter or digit; at most 64 characters.
             * @example user_api
             */
            name: string;
            /** @description Own listening port: required for `tcp`, optional for `grpc`, not for `http`. */
            port?: number | null;
            registration?: components["schemas"]["SelfRegistration"];
            /**
             * @description Request header operations, in order (seed: `header_transfor`).
             * @default []
             */
            request_headers?: components["schemas"]["HeaderOp"][];
            /**
             * @description Operations on the upstream's response headers, in order, before the
             *     response goes to the client (gRPC: response metadata). The
             *     gateway's own answers are not changed. Not for `tcp`.
             * @default []
             */
            response_headers?: components["schemas"]["HeaderOp"][];
            /**
             * @description Regex rewrites of the path, in order, after `strip_prefix`.
             * @default []
             */
            rewrite?: components["schemas"]["RewriteRule"][];
            split?: components["schemas"]["Split"] | null;
            /**
             * @description Remove the matched prefix before forwarding (seed: `need_strip_uri`);
             *     needs `match.prefix`.
             * @default false
             */
            strip_prefix?: boolean;
            /**
             * @description This route's own timeouts, each overriding the `upstream.timeouts`
             *     value of whichever upstream takes a request (this service's or a
             *     split target's). Not for `tcp`.
             */
            timeouts?: components["schemas"]["RouteTimeouts"];
            upstream: components["schemas"]["Upstream"];
            /**
             * @description Allow WebSocket upgrades.
             * @default false
             */
            websocket?: boolean;
        } & (unknown & unknown & unknown);
        /** @description Who may call a service. */
        ServiceAccess: {
            auth?: components["schemas"]["AuthPolicy"];
            /** @description Only these addresses may call (when enabled); wins over `ip_deny`. */
            ip_allow?: components["schemas"]["IpList"];
            /** @description These addresses are refused (when enabled). */
            ip_deny?: components["schemas"]["IpList"];
        };
        /** @description Node health of one service. */
        ServiceHealth: {
            /**
             * @description Whether health is tracked in this process (it runs the data plane:
             *     passive health always, active checks when configured); when false
             *     every enabled node is `unknown`.
             */
            checks_available: boolean;
            nodes: components["schemas"]["NodeHealth"][];
            service: string;
            /** @description The service as a whole. */
            summary: components["schemas"]["HealthSummary"];
        };
        /**
         * @description Rate limits; 0 = unlimited. For TCP services the rates count new
         *     connections.
         */
        ServiceLimits: {
            /** @description Requests that may arrive at once above the steady rate; default `max(1, qps / 10)`. */
            burst?: number | null;
            /**
             * Format: u-int32
             * @description Requests per second per client IP (seed: `clientip_flow_limit`).
             * @default 0
             */
            client_ip_qps?: number;
            /**
             * Format: u-int32
             * @description TCP services only: connections open at once; 0 = unlimited.
             * @default 0
             */
            max_connections?: number;
            /**
             * Format: u-int32
             * @description Requests per second for the whole service (seed: `service_flow_limit`).
             * @default 0
             */
            service_qps?: number;
        };
        /** @description The service list with whether its traffic numbers are real. */
        ServiceList: components["schemas"]["Page_ServiceSummary"] & {
            /**
             * @description False when this process collects no statistics: then `today_requests`
             *     and `qps` are 0 for lack of data, not for lack of traffic.
             */
            stats_available: boolean;
        };
        /**
         * @description How requests are matched: a host, a path (`prefix`, exact `path` or
         *     `path_regex`: at most one), and method, header and query conditions
         *     that must all hold (at least one of these for `http` services). When
         *     several services match, the most specific wins (docs/proxying.md,
         *     "Routing").
         */
        ServiceMatch: {
            /**
             * @description Request headers, all of which must match (names once each, any
             *     letter case).
             * @default []
             */
            headers?: components["schemas"]["RouteFieldMatch"][];
            /**
             * @description Host name (any port), or `*.example.com`: labels of letters, digits,
             *     `-` and `_`.
             * @example api.example.com
             */
            host?: string | null;
            /**
             * @description Request methods, any of which matches: upper case (methods are case-sensitive), each once. `HEAD` is not implied by `GET`.
             * @default []
             * @example [
             *       "GET",
             *       "HEAD"
             *     ]
             */
            methods?: string[];
            /**
             * @description Path prefix, compared byte for byte: starts with `/`; no space, control character, `?` or `#`; at most 1024 bytes.
             * @example /user/
             */
            path?: string | null;
            /**
             * @description Regular expression (Rust `regex` syntax; it must compile) that the
             *     whole normalised path must match.
             * @example /users/[0-9]+
             */
            path_regex?: string | null;
            /**
             * @description Path prefix, compared byte for byte: starts with `/`; no space, control character, `?` or `#`; at most 1024 bytes.
             * @example /user/
             */
            prefix?: string | null;
            /**
             * @description Query parameters, all of which must match (names once each,
             *     compared after percent-decoding).
             * @default []
             */
            query?: components["schemas"]["RouteFieldMatch"][];
        } & (unknown & unknown);
        /** @description A service as stored, with its version. */
        ServiceResource: {
            spec: components["schemas"]["Service"];
            /**
             * Format: int64
             * @description The revision that last changed this service; send it in `If-Match`.
             */
            version: number;
        };
        /**
         * @description How the caller is signed in: `session` (the session cookie) or `token`
         *     (an API token sent as Bearer).
         * @enum {string}
         */
        SessionAuth: "session" | "token";
        /** @description The caller and their session. */
        SessionInfo: {
            auth: components["schemas"]["SessionAuth"];
            /**
             * @description Send as `X-CSRF-Token` on state-changing requests made with the
             *     session cookie. Absent for API tokens.
             */
            csrf_token?: string | null;
            /**
             * Format: int64
             * @description Unix milliseconds when the session ends at the latest (absolute
             *     expiry); it ends earlier after the idle timeout without requests.
             */
            expires_at_ms?: number | null;
            /** Format: u-int64 */
            idle_timeout_secs?: number | null;
            /**
             * @description Until changed, every other endpoint answers 403
             *     `password_change_required`.
             */
            must_change_password: boolean;
            role: components["schemas"]["Role"];
            /**
             * @description The gateway's configured time zone (`time_zone`): the dashboard
             *     shows every time in it, as the statistics' days and hours are.
             */
            time_zone: string;
            /** @description User name, or the API token's name. */
            username: string;
        };
        /**
         * @description A traffic split: `targets` take their percentages of the requests
         *     (their own upstreams: nodes, balancing, health, timeouts — unless this
         *     service's `timeouts` override them — retries); the
         *     rest stays. Targets are existing services of the same kind without a
         *     split of their own, each once, not the service itself; the percentages
         *     add up to at most 100. A disabled target takes no share.
         */
        Split: {
            /**
             * @description Rules tried in order before the shares.
             * @default []
             */
            force?: components["schemas"]["SplitForce"][];
            /**
             * @description `header:NAME` or `cookie:NAME`: requests with the same value go to
             *     the same side. Absent: every request on its own.
             * @example cookie:session
             */
            sticky?: string | null;
            targets: components["schemas"]["SplitTarget"][];
        };
        /**
         * @description What chose a split's side: `forced` (a force rule), `sticky` (the
         *     sticky key's bucket) or `shared` (the next place in the sequence that
         *     spreads requests by percentage: this request's side depends on the
         *     requests before it).
         * @enum {string}
         */
        SplitDecision: "forced" | "sticky" | "shared";
        /**
         * @description Sends a request whose `header` or `cookie` (exactly one) has `value`
         *     (any value when absent) to `service`: a target or the service itself.
         */
        SplitForce: {
            cookie?: string | null;
            /** @example X-Canary */
            header?: string | null;
            /**
             * @description Unique name. Letters, digits, `_`, `-`, `.`, starting with a letter or digit; at most 64 characters.
             * @example user_api
             */
            service: string;
            /** @example 1 */
            value?: string | null;
        } & unknown;
        /** @description Explain's split line: whose upstream takes the request, and why. */
        SplitReport: {
            /** @description What chose the side. */
            decided_by: components["schemas"]["SplitDecision"];
            /** @description Why, in English. */
            detail: string;
            /**
             * @description The code of `detail` (e.g. `split_forced`).
             * @example split_forced
             */
            detail_code: string;
            /** @description The parameters of `detail_code`, by name. */
            detail_params: {
                [key: string]: string;
            };
            /** @description Each side and its share, the service's own last. */
            shares: components["schemas"]["SplitShare"][];
            /**
             * @description The service whose upstream takes the request (the routed service
             *     itself when it stays).
             */
            upstream_of: string;
        };
        /** @description One side of a split. */
        SplitShare: {
            /**
             * Format: u-int32
             * @description The share in hundredths of a percent (`500` is 5 %).
             */
            basis_points: number;
            service: string;
        };
        SplitTarget: {
            /**
             * Format: double
             * @description Percent of the requests, 0.01 to 100 (at most two decimals).
             * @example 5
             */
            percent: number;
            /**
             * @description Unique name. Letters, digits, `_`, `-`, `.`, starting with a letter or digit; at most 64 characters.
             * @example user_api
             */
            service: string;
        };
        StatsSummary: {
            /**
             * @description Enabled services in trouble now, worst first: every enabled node
             *     failing (`down`), some (`degraded`), or a recent error rate of
             *     [`FAILING_ERROR_RATE`] or more.
             */
            failing_now: components["schemas"]["FailingService"][];
            /** Format: u-int64 */
            qps: number;
            /** @description The whole gateway's last few minutes. */
            recent: components["schemas"]["RecentTraffic"];
            /** Format: u-int64 */
            services: number;
            /** @description Services per kind (`http`, `tcp`, `grpc`). */
            services_by_kind: {
                [key: string]: number;
            };
            /** @description False when this process collects no statistics (numbers are then 0). */
            stats_available: boolean;
            /** Format: u-int64 */
            tenants: number;
            /** @description The time zone of "today" and of the hourly charts. */
            time_zone: string;
            /** Format: u-int64 */
            today_requests: number;
        };
        StatusBody: components["schemas"]["RuntimeStatus"] & {
            /**
             * Format: int64
             * @description Latest revision in the store.
             */
            store_revision: number;
            /** @description Weir's version. */
            version: string;
        };
        /**
         * @description A tenant (the seed's app): a caller of services that require
         *     authentication, with its own limits.
         */
        Tenant: {
            /**
             * @description Unique id: the token's issuer and subject. Letters, digits, `_`, `-`, `.`, starting with a letter or digit; at most 64 characters.
             * @example shop-frontend
             */
            app_id: string;
            /** @default  */
            description?: string;
            /**
             * @description Default true.
             * @default true
             */
            enabled?: boolean;
            /**
             * @description Addresses the tenant may call from; empty = anywhere.
             * @default []
             */
            ip_allow?: string[];
            /** @default  */
            name?: string;
            /**
             * Format: u-int64
             * @description Requests per calendar day; 0 = unlimited.
             * @default 0
             */
            qpd?: number;
            /**
             * Format: u-int32
             * @description Requests per second; 0 = unlimited.
             * @default 0
             */
            qps?: number;
            /** @description Client secret (8–256 characters). Write-only: never returned by reads; generated on create when absent; kept on replace when absent. */
            secret?: string | null;
        };
        TenantList: components["schemas"]["Page_TenantSummary"] & {
            stats_available: boolean;
        };
        /** @description A tenant as stored (without its secret), with its version. */
        TenantResource: {
            spec: components["schemas"]["Tenant"];
            /**
             * Format: int64
             * @description The revision that last changed this tenant; send it in `If-Match`.
             */
            version: number;
        };
        /** @description A new tenant, or a reset secret: the only answers that show the secret. */
        TenantSecret: {
            /** @description The client secret for `POST /oauth/tokens`. Not retrievable later. */
            secret: string;
            spec: components["schemas"]["Tenant"];
            /** Format: int64 */
            version: number;
        };
        /**
         * @description `route`: the routed service's `timeouts:`; `upstream`: the
         *     `upstream.timeouts` of the upstream that takes the request.
         * @enum {string}
         */
        TimeoutFrom: "route" | "upstream";
        /** @description One effective timeout and where it comes from. */
        TimeoutValue: {
            from: components["schemas"]["TimeoutFrom"];
            /** Format: u-int64 */
            ms: number;
        };
        /**
         * @description The timeouts of a forwarded request: those of the upstream that takes
         *     it, each overridden where the routed service's `timeouts:` sets it.
         */
        TimeoutsReport: {
            /** @description Connecting to a node. */
            connect: components["schemas"]["TimeoutValue"];
            /** @description Which of them the route sets, in English. */
            detail: string;
            /**
             * @description The code of `detail` (e.g. `timeouts_route`).
             * @example timeouts_route
             */
            detail_code: string;
            /** @description The parameters of `detail_code`, by name. */
            detail_params: {
                [key: string]: string;
            };
            /**
             * Format: u-int64
             * @description How long one try waits for response headers: `response_header`, or
             *     the upstream's `retry.per_try_timeout` when shorter (a gRPC call's
             *     deadline, when shorter still, ends the wait first).
             */
            per_try_ms: number;
            /** @description From the request sent to the response headers. */
            response_header: components["schemas"]["TimeoutValue"];
            /**
             * @description A WebSocket tunnel (or gRPC client stream) quiet this long is
             *     closed.
             */
            stream_idle: components["schemas"]["TimeoutValue"];
            /**
             * @description The service whose `upstream.timeouts` apply where the route sets
             *     none (a split target's, or the routed service's own).
             */
            upstream_of: string;
        };
        /** @description What the data plane's token endpoint answered. */
        TokenTryout: {
            /**
             * @description Its JSON body as is: `{access_token, token_type, expires_in, scope}`
             *     or `{error, error_description}`.
             */
            body: unknown;
            /**
             * @description The URL the request went to (this process's data-plane listener).
             * @example http://127.0.0.1:8080/oauth/tokens
             */
            endpoint: string;
            /**
             * Format: u-int16
             * @description The HTTP status it answered: 200 with a token, 401 `invalid_client`,
             *     429 `slow_down`…
             * @example 200
             */
            status: number;
        };
        /** @description The credentials to try. */
        TokenTryoutRequest: {
            /** @description The tenant's secret (shown once when it was created or reset). */
            secret: string;
        };
        /** @description Current traffic of one scope (the gateway, a service, a tenant). */
        Traffic: {
            /**
             * Format: u-int64
             * @description Requests in the last full second.
             */
            qps: number;
            /** @description The last few minutes. */
            recent: components["schemas"]["RecentTraffic"];
            /**
             * Format: u-int64
             * @description Requests today (calendar day in the configured time zone).
             */
            today_requests: number;
        };
        /**
         * @description A duration string (`30s`, `1m30s`) or a number of seconds; 1 s to 1 h
         * @example 30s
         */
        Ttl: number | string;
        UpdateUser: {
            /** @description Reset the password; the user must change it at next login, and their sessions end. 10–1024 characters (at most 1024 bytes), not one character repeated, not the user name. */
            password?: string | null;
            role?: components["schemas"]["UserRole"] | null;
        };
        /** @description Where a service's requests go. */
        Upstream: {
            /**
             * @default round_robin
             * @enum {string}
             */
            balance?: "random" | "round_robin" | "weighted_round_robin" | "consistent_hash" | "least_request";
            circuit_breaker?: components["schemas"]["CircuitBreaker"] | null;
            /** @description Re-resolution bounds of nodes given by DNS name. */
            dns?: components["schemas"]["DnsSettings"];
            /**
             * @description When no node is available, try every enabled node anyway instead of
             *     answering 503 / UNAVAILABLE. Default false.
             * @default false
             */
            fail_open?: boolean;
            /**
             * @description What `consistent_hash` hashes: `client_ip` (default), `uri` or
             *     `header:NAME`. Only with `balance: consistent_hash`.
             * @example header:x-user-id
             */
            hash_key?: string | null;
            health_check?: components["schemas"]["HealthCheck"] | null;
            /**
             * @description Idle keep-alive connections kept per node (default 64).
             * @default 64
             */
            max_idle_per_node?: number;
            /** @description At least one; each address once. */
            nodes: components["schemas"]["UpstreamNode"][];
            outlier?: components["schemas"]["Outlier"] | null;
            retry?: components["schemas"]["RetryPolicy"] | null;
            timeouts?: components["schemas"]["UpstreamTimeouts"];
            /**
             * @description Speak TLS to the nodes: `true`, or options.
             * @default false
             */
            tls?: components["schemas"]["UpstreamTls"];
        } & unknown;
        /**
         * @description An upstream node (seed: one `ip_list` line; `enabled: false` is the
         *     seed's forbid list).
         */
        UpstreamNode: {
            /**
             * @description `ip:port`, `[ipv6]:port`, `hostname:port` (every A/AAAA address of the name becomes a node, re-resolved on TTL), or an SRV name such as `_http._tcp.api.internal` (targets, ports and weights from the SRV records). Ports are 1–65535; each address once per service.
             * @example 127.0.0.1:9001
             */
            addr: string;
            /**
             * @description Default true.
             * @default true
             */
            enabled?: boolean;
            /**
             * @description Default 1; 0 only with a balance that ignores weights (disable a node with `enabled: false`).
             * @default 1
             */
            weight?: number;
        };
        UpstreamRequest: {
            /**
             * @description The header operations applied, in the configuration's words:
             *     `set X-Name: value`, `add X-Name: value`, `remove X-Name`.
             */
            header_ops: string[];
            /**
             * @description Headers as sent upstream, after hop-by-hop removal, forwarding
             *     headers and the service's header operations, in order.
             */
            headers: components["schemas"]["HeaderEntry"][];
            /** @description Path and query as sent upstream (after strip_prefix and rewrites). */
            path: string;
            /**
             * @description The operations the service applies to the upstream's response
             *     headers (`response_headers`), in the same words.
             */
            response_header_ops?: string[];
            /** @description Whether the request would be a WebSocket upgrade. */
            upgrade: boolean;
        };
        /** @description Timeouts towards the nodes; each greater than 0 (`idle` may be 0). */
        UpstreamTimeouts: {
            /**
             * @description Default `5s`.
             * @default 5s
             */
            connect?: components["schemas"]["PositiveDuration"];
            /**
             * @description Default `1m30s`.
             * @default 1m30s
             */
            idle?: components["schemas"]["Duration"];
            /**
             * @description Default `1m`.
             * @default 1m
             */
            response_header?: components["schemas"]["PositiveDuration"];
            /**
             * @description A WebSocket or TCP connection idle this long in both directions is
             *     closed. Default `10m`.
             * @default 10m
             */
            stream_idle?: components["schemas"]["PositiveDuration"];
        };
        /** @description TLS towards the nodes (seed: `need_https`): `true`/`false`, or options. */
        UpstreamTls: boolean | components["schemas"]["UpstreamTlsOptions"];
        UpstreamTlsOptions: {
            /**
             * @description PEM bundle of CAs to trust instead of the system roots (at least one
             *     CERTIFICATE block).
             */
            ca?: string | null;
            /**
             * @description Default true.
             * @default true
             */
            enabled?: boolean;
            /**
             * @description Accept any certificate. Insecure: for testing only.
             * @default false
             */
            insecure_skip_verify?: boolean;
            /** @description Name sent as SNI and verified; default: the node's host. */
            server_name?: string | null;
        };
        User: {
            /** Format: int64 */
            created_at_ms: number;
            must_change_password: boolean;
            role: components["schemas"]["Role"];
            /** Format: int64 */
            updated_at_ms: number;
            /** @example alice */
            username: string;
        };
        /**
         * @description The roles a user can have. `registrar` is for API tokens only: a person
         *     who may only register service instances has no use for the dashboard.
         * @enum {string}
         */
        UserRole: "admin" | "viewer";
        /** @description What a configuration write did. */
        WriteOutcome: {
            /**
             * Format: int64
             * @description The revision the changes were computed against.
             */
            base_revision: number;
            changes: components["schemas"]["ResourceChange"][];
            /**
             * Format: int64
             * @description The revision written; absent when nothing changed.
             */
            revision?: number | null;
        };
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    get_audit: {
        parameters: {
            query?: {
                /** @description Page number, from 1 (default 1). */
                page?: number;
                /** @description Items per page, 1–500 (default 20). */
                page_size?: number;
                /** @description Only this actor. */
                actor?: string;
                /** @description Only this action. */
                action?: string;
                /** @description Only this target. */
                target?: string;
                /** @description From this time (Unix ms, inclusive). */
                since_ms?: number;
                /** @description Until this time (Unix ms, exclusive). */
                until_ms?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of entries */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Page_AuditRecord"];
                };
            };
            /** @description An error, as a problem document */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    get_certificates: {
        parameters: {
            query?: {
                /** @description Page number, from 1 (default 1). */
                page?: number;
                /** @description Items per page, 1–500 (default 20). */
                page_size?: number;
                /**
                 * @description Keyword: case-insensitive substring of the name, a DNS name or the
                 *     subject.
                 */
                q?: string;
                /** @description Sort order (default `name`). */
                sort?: "name" | "not_after" | "-not_after";
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of certificates */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CertificateList"];
                };
            };
            /** @description An error, as a problem document */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    post_certificates: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["Certificate"];
            };
        };
        responses: {
            /** @description Created */
            201: {
                headers: {
                    /** @description The version */
                    ETag?: string;
                    /** @description The certificate's URL */
                    Location?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CertificateResource"];
                };
            };
            /** @description The name is taken */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Invalid PEM, key mismatch, expired…; `errors` names each field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description An error, as a problem document */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    get_certificates_by_name: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Certificate name */
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The certificate; ETag is its version */
            200: {
                headers: {
                    /** @description The version, quoted */
                    ETag?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CertificateResource"];
                };
            };
            /** @description No such certificate */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description An error, as a problem document */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    put_certificates_by_name: {
        parameters: {
            query?: never;
            header: {
                /** @description The version (ETag) the change is based on */
                "If-Match": string;
            };
            path: {
                /** @description Certificate name */
                name: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["Certificate"];
            };
        };
        responses: {
            /** @description Replaced (or unchanged) */
            200: {
                headers: {
                    /** @description The new version */
                    ETag?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CertificateResource"];
                };
            };
            /** @description No such certificate */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Changed since that version */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Invalid; `errors` names each field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description If-Match missing */
            428: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description An error, as a problem document */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    delete_certificates_by_name: {
        parameters: {
            query?: never;
            header: {
                /** @description The version (ETag) the deletion is based on */
                "If-Match": string;
            };
            path: {
                /** @description Certificate name */
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Deleted */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Deleted"];
                };
            };
            /** @description No such certificate */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Changed since that version */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description If-Match missing */
            428: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description An error, as a problem document */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    get_config: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The configuration; ETag is the revision */
            200: {
                headers: {
                    /** @description The store revision */
                    ETag?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ConfigExport"];
                };
            };
            /** @description An error, as a problem document */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    put_config: {
        parameters: {
            query?: {
                /** @description Only compute the changes; write nothing. */
                dry_run?: boolean;
                /** @description Summary recorded in the revision (default: generated from the changes). */
                message?: string;
            };
            header?: {
                /** @description The store revision the document is based on */
                "If-Match"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ConfigDocument"];
            };
        };
        responses: {
            /** @description Applied (or, with dry_run, planned) */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WriteOutcome"];
                };
            };
            /** @description The store moved past If-Match */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Invalid; `errors` names each field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description An error, as a problem document */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    post_explain: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ExplainRequest"];
            };
        };
        responses: {
            /** @description What would happen */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Explanation"];
                };
            };
            /** @description The request description is not valid */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description No configuration loaded yet */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description An error, as a problem document */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    get_gateways: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Every node, the revision it serves and its state */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["GatewayList"];
                };
            };
            /** @description An error, as a problem document */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    get_listeners: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Listeners */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ListenerList"];
                };
            };
            /** @description An error, as a problem document */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    get_nodes: {
        parameters: {
            query?: {
                /** @description Only nodes of this service. */
                service?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Registered nodes */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RegisteredNodes"];
                };
            };
            /** @description An error, as a problem document */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    get_registrations: {
        parameters: {
            query?: {
                /** @description Page number, from 1 (default 1). */
                page?: number;
                /** @description Items per page, 1–500 (default 20). */
                page_size?: number;
                /** @description Only registrations of this service. */
                service?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of registrations, by service and address */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RegistrationList"];
                };
            };
            /** @description An error, as a problem document */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    get_revisions: {
        parameters: {
            query?: {
                /** @description Page number, from 1 (default 1). */
                page?: number;
                /** @description Items per page, 1–500 (default 20). */
                page_size?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of revisions */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Page_RevisionInfo"];
                };
            };
            /** @description An error, as a problem document */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    get_revisions_diff: {
        parameters: {
            query: {
                /** @description The older revision (0: empty configuration). */
                from: number;
                /** @description The newer revision. */
                to: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Changes from `from` to `to` */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RevisionDiff"];
                };
            };
            /** @description No such revision */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description An error, as a problem document */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    get_revisions_by_id: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Revision number */
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The revision */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RevisionDetail"];
                };
            };
            /** @description No such revision */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description An error, as a problem document */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    get_revisions_by_id_config: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Revision number */
                id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The configuration */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ConfigDocument"];
                };
            };
            /** @description No such revision */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description An error, as a problem document */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    post_revisions_by_id_rollback: {
        parameters: {
            query?: never;
            header?: {
                /** @description The store revision the decision is based on */
                "If-Match"?: string;
            };
            path: {
                /** @description Revision to return to */
                id: number;
            };
            cookie?: never;
        };
        requestBody?: {
            content: {
                "application/json": components["schemas"]["RollbackRequest"];
            };
        };
        responses: {
            /** @description Rolled back (revision absent: already equal) */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WriteOutcome"];
                };
            };
            /** @description No such revision */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The store moved past If-Match */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description That configuration is not valid any more */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description An error, as a problem document */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    get_services: {
        parameters: {
            query?: {
                /** @description Page number, from 1 (default 1). */
                page?: number;
                /** @description Items per page, 1–500 (default 20). */
                page_size?: number;
                /** @description Sort order (default `name`). */
                sort?: "name" | "-name" | "kind" | "-version" | "version" | "-today_requests" | "-qps" | "-node_count" | "-error_rate" | "-rejection_rate" | "health";
                /** @description Keyword: case-insensitive substring of name, description or rule. */
                q?: string;
                kind?: "http" | "tcp" | "grpc";
                enabled?: boolean;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of services */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ServiceList"];
                };
            };
            /** @description An error, as a problem document */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    post_services: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["Service"];
            };
        };
        responses: {
            /** @description Created */
            201: {
                headers: {
                    /** @description The version */
                    ETag?: string;
                    /** @description The service's URL */
                    Location?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ServiceResource"];
                };
            };
            /** @description The name is taken */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Invalid; `errors` names each field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description An error, as a problem document */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    get_services_by_name: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Service name */
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The service; ETag is its version */
            200: {
                headers: {
                    /** @description The version, quoted */
                    ETag?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ServiceResource"];
                };
            };
            /** @description No such service */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description An error, as a problem document */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    put_services_by_name: {
        parameters: {
            query?: never;
            header: {
                /** @description The version (ETag) the change is based on, e.g. "12" */
                "If-Match": string;
            };
            path: {
                /** @description Service name */
                name: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["Service"];
            };
        };
        responses: {
            /** @description Replaced (or unchanged) */
            200: {
                headers: {
                    /** @description The new version */
                    ETag?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ServiceResource"];
                };
            };
            /** @description No such service */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Someone else changed it since that version */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Invalid; `errors` names each field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description If-Match missing */
            428: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description An error, as a problem document */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    delete_services_by_name: {
        parameters: {
            query?: never;
            header: {
                /** @description The version (ETag) the deletion is based on */
                "If-Match": string;
            };
            path: {
                /** @description Service name */
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Deleted */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Deleted"];
                };
            };
            /** @description No such service */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Someone else changed it since that version */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description If-Match missing */
            428: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description An error, as a problem document */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    get_services_by_name_health: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Service name */
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Per-node health */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ServiceHealth"];
                };
            };
            /** @description No such service */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description An error, as a problem document */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    get_services_by_name_registrations: {
        parameters: {
            query?: {
                /** @description Page number, from 1 (default 1). */
                page?: number;
                /** @description Items per page, 1–500 (default 20). */
                page_size?: number;
            };
            header?: never;
            path: {
                /** @description Service name */
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of registrations, by address */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RegistrationList"];
                };
            };
            /** @description No such service in the configuration */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description An error, as a problem document */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    post_services_by_name_registrations: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Service name */
                name: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RegisterRequest"];
            };
        };
        responses: {
            /** @description Already registered: renewed */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Registration"];
                };
            };
            /** @description Registered */
            201: {
                headers: {
                    /** @description The registration's URL */
                    Location?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Registration"];
                };
            };
            /** @description Refused: registration not enabled for the service, the address outside its `allowed_cidrs`, loopback not allowed, one of the gateway's own listeners (`registration_refused`), or a token not scoped to this service (`registration_scope`) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description No such service in the configuration */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The service has `registration.max_instances` live registrations (`registration_limit`) */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Invalid; `errors` names each field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description An error, as a problem document */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    put_services_by_name_registrations_by_id: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Service name */
                name: string;
                /** @description Registration id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: {
            content: {
                "application/json": components["schemas"]["HeartbeatRequest"];
            };
        };
        responses: {
            /** @description Renewed */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Registration"];
                };
            };
            /** @description Registration is no longer allowed for this address (`registration_refused`), or the token is not scoped to this service (`registration_scope`) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description No such live registration (an expired one must register again) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Invalid; `errors` names each field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description An error, as a problem document */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    delete_services_by_name_registrations_by_id: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Service name */
                name: string;
                /** @description Registration id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Deregistered */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description The token is not scoped to this service (`registration_scope`) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description No such live registration */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description An error, as a problem document */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    get_services_by_name_stats: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Service name */
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Hourly series */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HourlySeries"];
                };
            };
            /** @description No such service */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description An error, as a problem document */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    get_session: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The caller */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SessionInfo"];
                };
            };
            /** @description An error, as a problem document */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    post_session: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["LoginRequest"];
            };
        };
        responses: {
            /** @description Logged in; the session cookie is set */
            200: {
                headers: {
                    /** @description weir_session=…; HttpOnly; SameSite=Strict */
                    "Set-Cookie"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SessionInfo"];
                };
            };
            /** @description Wrong user name or password */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many failed attempts, or too many logins being checked at once */
            429: {
                headers: {
                    /** @description Seconds to wait */
                    "Retry-After"?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description An error, as a problem document */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    delete_session: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Logged out */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description An error, as a problem document */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    post_session_password: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ChangePasswordRequest"];
            };
        };
        responses: {
            /** @description Changed */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description The current password is wrong */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The new password is not acceptable */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many failed attempts */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description An error, as a problem document */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    get_signing_keys: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Every key */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["KeyInfo"][];
                };
            };
            /** @description An error, as a problem document */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    post_signing_keys_rotate: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: {
            content: {
                "application/json": components["schemas"]["RotateRequest"];
            };
        };
        responses: {
            /** @description Rotated */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Rotated"];
                };
            };
            /** @description The name is taken */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Invalid name */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description An error, as a problem document */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    delete_signing_keys_by_name: {
        parameters: {
            query?: never;
            header: {
                /** @description The key's version */
                "If-Match": string;
            };
            path: {
                /** @description Key name (kid) */
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Retired */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Deleted"];
                };
            };
            /** @description No such key */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The active key, or changed since that version */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description If-Match missing */
            428: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description An error, as a problem document */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    get_stats_series: {
        parameters: {
            query?: {
                /** @description `gateway` (default), `service` or `tenant`. */
                scope?: "gateway" | "service" | "tenant";
                /** @description The service name or tenant app id (for those scopes). */
                name?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Hourly series */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HourlySeries"];
                };
            };
            /** @description `name` missing for a service or tenant */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description An error, as a problem document */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    get_stats_summary: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Summary */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["StatsSummary"];
                };
            };
            /** @description An error, as a problem document */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    get_status: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Status */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["StatusBody"];
                };
            };
            /** @description An error, as a problem document */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    get_tenants: {
        parameters: {
            query?: {
                /** @description Page number, from 1 (default 1). */
                page?: number;
                /** @description Items per page, 1–500 (default 20). */
                page_size?: number;
                /** @description Keyword: case-insensitive substring of app id, name or description. */
                q?: string;
                enabled?: boolean;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description A page of tenants */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TenantList"];
                };
            };
            /** @description An error, as a problem document */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    post_tenants: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["Tenant"];
            };
        };
        responses: {
            /** @description Created */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TenantSecret"];
                };
            };
            /** @description The app id is taken */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Invalid; `errors` names each field */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description An error, as a problem document */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    get_tenants_by_app_id: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Tenant app id */
                app_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The tenant; ETag is its version */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TenantResource"];
                };
            };
            /** @description No such tenant */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description An error, as a problem document */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    put_tenants_by_app_id: {
        parameters: {
            query?: never;
            header: {
                /** @description The version (ETag) the change is based on */
                "If-Match": string;
            };
            path: {
                /** @description Tenant app id */
                app_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["Tenant"];
            };
        };
        responses: {
            /** @description Replaced */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TenantResource"];
                };
            };
            /** @description No such tenant */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Changed since that version */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Invalid */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description If-Match missing */
            428: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description An error, as a problem document */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    delete_tenants_by_app_id: {
        parameters: {
            query?: never;
            header: {
                /** @description The version (ETag) the deletion is based on */
                "If-Match": string;
            };
            path: {
                /** @description Tenant app id */
                app_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Deleted */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Deleted"];
                };
            };
            /** @description No such tenant */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Changed since that version */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description If-Match missing */
            428: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description An error, as a problem document */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    post_tenants_by_app_id_secret: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Tenant app id */
                app_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The new secret */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TenantSecret"];
                };
            };
            /** @description No such tenant */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description An error, as a problem document */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    get_tenants_by_app_id_stats: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Tenant app id */
                app_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Hourly series */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HourlySeries"];
                };
            };
            /** @description No such tenant */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description An error, as a problem document */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    post_tenants_by_app_id_token_tryout: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Tenant app id */
                app_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["TokenTryoutRequest"];
            };
        };
        responses: {
            /** @description What the token endpoint answered (its status is in the body) */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TokenTryout"];
                };
            };
            /** @description No such tenant */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description This process runs no data plane (`no_data_plane`) */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description An error, as a problem document */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    get_tokens: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Every token, without secrets */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiToken"][];
                };
            };
            /** @description An error, as a problem document */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    post_tokens: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateToken"];
            };
        };
        responses: {
            /** @description Created */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CreatedToken"];
                };
            };
            /** @description Invalid name or services */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description An error, as a problem document */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    delete_tokens_by_id: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Token id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Revoked */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description No such (unrevoked) token */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description An error, as a problem document */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    get_users: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Every user */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["User"][];
                };
            };
            /** @description An error, as a problem document */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    post_users: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateUser"];
            };
        };
        responses: {
            /** @description Created */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["User"];
                };
            };
            /** @description The name is taken */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Invalid name or weak password */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description An error, as a problem document */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    get_users_by_name: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description User name */
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The user */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["User"];
                };
            };
            /** @description No such user */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description An error, as a problem document */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    delete_users_by_name: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description User name */
                name: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Deleted */
            204: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description No such user */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Yourself, or the last admin */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description An error, as a problem document */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    patch_users_by_name: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description User name */
                name: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["UpdateUser"];
            };
        };
        responses: {
            /** @description Updated */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["User"];
                };
            };
            /** @description No such user */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Would leave no admin */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description An error, as a problem document */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    get_healthz: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Alive */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/plain": string;
                };
            };
            /** @description An error, as a problem document */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    get_metrics: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Prometheus text exposition */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/plain; version=0.0.4": string;
                };
            };
            /** @description This process runs no data plane */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description An error, as a problem document */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
}
