//! Texts for people that the data plane hands to the admin API: explain's
//! reasons and details, nodes' last errors, and the statistics' rejection
//! reasons. Each is a stable `code` with named `params` beside its English
//! text, so that the dashboard can say it in the reader's language
//! (`web/src/i18n/server/explain.<lang>.ts`, keyed by code) while the API
//! and logs keep the English.
//!
//! [`coded_texts!`] declares such an enum once: variant, code, English
//! template. From that one declaration come the English (`Display`), the
//! code, the parameters, and the template the dashboard's English
//! catalogue is generated from (a test compares the committed catalogue with
//! it; see the `catalog` tests below).

use std::collections::BTreeMap;

/// A text's parameters by name, as the admin API sends them.
pub(crate) type Params = BTreeMap<&'static str, String>;

/// Declares an enum of texts: each variant has a stable code, named
/// `String` parameters, and an English template in `format!` syntax
/// (`{name}` or `{name:?}` for a quoted value).
///
/// ```ignore
/// coded_texts! {
///     /// Why …
///     pub enum Why {
///         /// Doc.
///         OnList { client } = "on_list" => "{client} is on the list",
///     }
/// }
/// ```
macro_rules! coded_texts {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $(
                $(#[doc = $doc:literal])*
                $variant:ident $({ $($field:ident),* $(,)? })? = $code:literal => $english:literal,
            )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
        $vis enum $name {
            $(
                $(#[doc = $doc])*
                #[error($english)]
                $variant $({ $($field: String),* })?,
            )*
        }

        impl $name {
            /// The stable code (the dashboard's catalogue key).
            $vis fn code(&self) -> &'static str {
                match self {
                    $(Self::$variant { .. } => $code,)*
                }
            }

            /// The named parameters of the English template.
            $vis fn params(&self) -> $crate::text::Params {
                match self {
                    $(
                        #[allow(unused_variables)]
                        Self::$variant $({ $($field),* })? => {
                            #[allow(unused_mut)]
                            let mut p = $crate::text::Params::new();
                            $($(p.insert(stringify!($field), $field.clone());)*)?
                            p
                        }
                    )*
                }
            }

            /// One of each variant, every parameter holding
            /// [`crate::text::placeholder`] (for the catalogue).
            #[cfg(test)]
            pub(crate) fn samples() -> Vec<Self> {
                vec![
                    $(
                        Self::$variant $({
                            $($field: $crate::text::placeholder(stringify!($field))),*
                        })?,
                    )*
                ]
            }
        }

        /// `{"code", "params", "message"}`, the shape the dashboard's
        /// `serverText` reads.
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeStruct;
                let mut out = s.serialize_struct(stringify!($name), 3)?;
                out.serialize_field("code", self.code())?;
                out.serialize_field("params", &self.params())?;
                out.serialize_field("message", &self.to_string())?;
                out.end()
            }
        }
    };
}
pub(crate) use coded_texts;

/// Marks a parameter in a rendered template; the marks are turned into
/// `{name}` after the template's literal braces are escaped.
#[cfg(test)]
pub(crate) fn placeholder(name: &str) -> String {
    format!("\u{27EA}{name}\u{27EB}")
}

#[cfg(test)]
mod catalog;
