//! Validation errors that name the field at fault, e.g.
//! `services[2].upstream.nodes[0].addr: "10.0.0.1" has no port`.
//! Each carries its message as a code with parameters ([`crate::msg`]) so
//! the admin API can hand the dashboard something to translate.

use std::fmt;

use serde_json::{Map, Value};

use crate::msg::Coded;

/// One problem with one field of a configuration.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    /// Dotted path from the document root, with `[i]` for list items.
    pub path: String,
    /// Stable code of the message ([`crate::msg::Msg`]).
    pub code: String,
    /// The message's named parameters.
    pub params: Map<String, Value>,
    /// The message in English.
    pub message: String,
}

impl FieldError {
    pub fn new(path: impl Into<String>, message: impl Into<Coded>) -> Self {
        let Coded {
            code,
            params,
            message,
        } = message.into();
        Self {
            path: path.into(),
            code,
            params,
            message,
        }
    }

    /// The message without its path.
    pub fn coded(&self) -> Coded {
        Coded {
            code: self.code.clone(),
            params: self.params.clone(),
            message: self.message.clone(),
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

/// Every problem found in a configuration; validation does not stop at the
/// first so that a user fixes a file in one pass.
#[derive(Debug, Clone, PartialEq, Eq, Default, thiserror::Error)]
pub struct ValidationErrors {
    pub errors: Vec<FieldError>,
}

impl ValidationErrors {
    pub fn push(&mut self, path: impl Into<String>, message: impl Into<Coded>) {
        self.errors.push(FieldError::new(path, message));
    }

    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    pub fn single(path: impl Into<String>, message: impl Into<Coded>) -> Self {
        let mut e = Self::default();
        e.push(path, message);
        e
    }

    /// `Ok(())` when nothing was reported.
    pub fn into_result(self) -> Result<(), Self> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(self)
        }
    }
}

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.errors.len();
        write!(
            f,
            "{n} configuration error{}",
            if n == 1 { "" } else { "s" }
        )?;
        for e in &self.errors {
            write!(f, "\n  - {e}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msg::Msg;
    use serde_json::json;

    #[test]
    fn a_field_error_serialises_code_params_and_english() {
        let e = FieldError::new(
            "upstream.nodes[0].addr",
            Msg::AddrNoPort {
                addr: "10.0.0.1".into(),
            },
        );
        assert_eq!(
            e.to_string(),
            "upstream.nodes[0].addr: \"10.0.0.1\" has no port (write 10.0.0.1:PORT)"
        );
        assert_eq!(
            serde_json::to_value(&e).unwrap(),
            json!({
                "path": "upstream.nodes[0].addr",
                "code": "addr_no_port",
                "params": {"addr": "10.0.0.1"},
                "message": "\"10.0.0.1\" has no port (write 10.0.0.1:PORT)",
            })
        );
    }
}
