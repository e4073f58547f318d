//! Messages of the admin API's own checks (accounts, passwords, tokens,
//! paging, registrations), as codes with parameters beside their English
//! text; configuration validation has its own ([`weir_core::Msg`]) and so
//! do request shapes ([`crate::strict_json::ShapeMsg`]).
//!
//! The catalogue test below renders every area's codes into the
//! dashboard's English messages (`web/src/i18n/server/validation.en.ts`),
//! so that file follows the Rust source.

weir_core::messages! {
    /// What the admin API itself refuses in a request.
    pub enum ApiMsg {
        UsernameRule { max: usize } = "username_rule" =>
            "1–{max} letters, digits, '_', '-' or '.', starting with a letter or digit",
        PasswordTooShort { min: usize } = "password_too_short" => "must be at least {min} characters long",
        PasswordTooLong { max: usize } = "password_too_long" => "must be at most {max} bytes long",
        PasswordIsUsername = "password_is_username" => "must not be the user name",
        PasswordOneChar = "password_one_char" => "must not repeat one character",
        PasswordUnchanged = "password_unchanged" => "must differ from the current password",
        RegistrarNeedsServices = "registrar_needs_services" =>
            "a registrar token names the services it may register into (or [\"*\"] for every service that enables registration)",
        ScopeOnlyRegistrar = "scope_only_registrar" => "only registrar tokens are scoped to services",
        ScopeCount { min: usize, max: usize } = "scope_count" => "{min} to {max} service names",
        ScopeServiceName { max: usize } = "scope_service_name" =>
            "a service name (letters, digits, _ - .; at most {max}) or *",
        TokenNameRule { max: usize } = "token_name_rule" => "1–{max} characters, no control characters",
        TtlNotWhole { value: String } = "ttl_not_whole" => "{value} is not a whole number of seconds",
        TtlTooLarge { value: String } = "ttl_too_large" => "{value:?} is too large",
        TtlType = "ttl_type" => "must be a duration string such as 30s, or seconds",
        OwnListener { addr: String } = "own_listener" => "{addr} is one of the gateway's own listeners",
        RequiredForScope = "required_for_scope" => "is required for this scope",
        RenameRefused { body: String, url: String } = "rename_refused" =>
            "is {body:?} but the URL names {url:?}; renaming is create + delete",
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::fmt::Write as _;

    use weir_core::msg::vue_template;

    use super::ApiMsg;
    use crate::strict_json::ShapeMsg;

    const CATALOG_FILE: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../web/src/i18n/server/validation.en.ts"
    );

    /// Every code of the `validation` area, with its English template.
    fn catalog() -> BTreeMap<&'static str, &'static str> {
        let mut out = BTreeMap::new();
        for (code, text) in weir_core::Msg::CATALOG
            .iter()
            .chain(ApiMsg::CATALOG)
            .chain(ShapeMsg::CATALOG)
        {
            assert!(
                out.insert(*code, *text).is_none(),
                "the code {code:?} is used twice"
            );
        }
        out
    }

    fn render() -> String {
        let mut out = String::from(
            "// Generated from the server's message enums (weir_core::Msg,\n\
             // weir_admin::msg::ApiMsg, weir_admin::strict_json::ShapeMsg); do not edit.\n\
             // Regenerate: WEIR_UPDATE_CATALOG=1 cargo test -p weir-admin --lib catalog\n\
             // English text of the admin API's validation messages, keyed by the\n\
             // code the server sends beside its English text; parameters are named\n\
             // as in the server's `params` object.\n\
             \n\
             const messages: Record<string, string> = {\n",
        );
        for (code, text) in catalog() {
            let template = vue_template(text).unwrap_or_else(|e| panic!("{code}: {e}"));
            let quoted = template.replace('\\', "\\\\").replace('\'', "\\'");
            let _ = writeln!(out, "  {code}: '{quoted}',");
        }
        out.push_str("}\n\nexport default messages\n");
        out
    }

    #[test]
    fn catalog_file_follows_the_source() {
        let want = render();
        if std::env::var_os("WEIR_UPDATE_CATALOG").is_some() {
            std::fs::write(CATALOG_FILE, &want).unwrap();
            return;
        }
        let have = std::fs::read_to_string(CATALOG_FILE).unwrap_or_default();
        assert!(
            have == want,
            "{CATALOG_FILE} is out of date with the message enums; regenerate it with\n  \
             WEIR_UPDATE_CATALOG=1 cargo test -p weir-admin --lib catalog\n\
             and translate the new codes in validation.zh-CN.ts"
        );
    }

    #[test]
    fn messages_serialise_with_their_params() {
        let c = weir_core::Coded::from(ApiMsg::PasswordTooShort { min: 10 });
        assert_eq!(c.code, "password_too_short");
        assert_eq!(c.params["min"], 10);
        assert_eq!(c.message, "must be at least 10 characters long");
    }
}
