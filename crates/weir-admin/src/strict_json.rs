//! JSON deserialisation held to JSON's own types. serde's derived structs
//! also accept a sequence of their fields in order, so `[null, null]` would
//! pass as `{"role": null, "password": null}`; that is convenient for
//! compact formats and a hole in an API whose document says "an object".
//! [`Strict`] deserialises from a parsed [`Value`] like serde_json does,
//! except that a struct must be a JSON object, at every depth.
//!
//! Its error is [`ShapeMsg`]: serde's complaints (wrong type, unknown or
//! missing field, …) as coded messages with the names they mention as
//! parameters, in serde's English words.

use std::fmt;

use serde::de::value::{BorrowedStrDeserializer, MapAccessDeserializer};
use serde::de::{
    self, DeserializeSeed, Deserializer, Expected, IntoDeserializer, MapAccess, SeqAccess,
    Unexpected, Visitor,
};
use serde_json::{Map, Value};
use weir_core::Coded;

weir_core::messages! {
    /// Why a JSON body does not fit the shape the document states.
    pub enum ShapeMsg {
        InvalidType { found: String, expected: String } = "invalid_type" =>
            "invalid type: {found}, expected {expected}",
        InvalidValue { found: String, expected: String } = "invalid_value" =>
            "invalid value: {found}, expected {expected}",
        InvalidLength { len: usize, expected: String } = "invalid_length" =>
            "invalid length {len}, expected {expected}",
        UnknownVariant { variant: String, expected: String } = "unknown_variant" =>
            "unknown variant `{variant}`, expected {expected}",
        UnknownField { field: String, expected: String } = "unknown_field" =>
            "unknown field `{field}`, expected {expected}",
        MissingField { field: String } = "missing_field" => "missing field `{field}`",
        DuplicateField { field: String } = "duplicate_field" => "duplicate field `{field}`",
        /// A type's own complaint about a value (e.g. a malformed duration).
        Value { reason: Box<Coded> } = "value_invalid" => "{reason}",
        /// A complaint in serde's or a type's words, with no code of its own
        /// (serde's derive: "data did not match any variant").
        Invalid { text: String } = "invalid" => "{text}",
        /// A complaint about the body as a whole (the path would be empty).
        Body { reason: Box<Coded> } = "body_shape" => "the request body: {reason}",
    }
}

type Error = ShapeMsg;

/// serde's `Unexpected` in JSON's words (`null`, not `unit value`).
fn found(unexp: Unexpected<'_>) -> String {
    match unexp {
        Unexpected::Unit => "null".to_owned(),
        other => other.to_string(),
    }
}

/// `one of `a`, `b``, `` `a` ``, `` `a` or `b` ``, as serde words it.
fn one_of(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    match quoted.as_slice() {
        [] => "nothing".to_owned(),
        [one] => one.clone(),
        [a, b] => format!("{a} or {b}"),
        many => format!("one of {}", many.join(", ")),
    }
}

impl de::Error for ShapeMsg {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        let text = msg.to_string();
        // A type's own coded complaint (weir_core::msg::de_error).
        match weir_core::msg::take_coded(&text) {
            Some(reason) => ShapeMsg::Value {
                reason: Box::new(reason),
            },
            None => ShapeMsg::Invalid { text },
        }
    }

    fn invalid_type(unexp: Unexpected<'_>, exp: &dyn Expected) -> Self {
        ShapeMsg::InvalidType {
            found: found(unexp),
            expected: exp.to_string(),
        }
    }

    fn invalid_value(unexp: Unexpected<'_>, exp: &dyn Expected) -> Self {
        ShapeMsg::InvalidValue {
            found: found(unexp),
            expected: exp.to_string(),
        }
    }

    fn invalid_length(len: usize, exp: &dyn Expected) -> Self {
        ShapeMsg::InvalidLength {
            len,
            expected: exp.to_string(),
        }
    }

    fn unknown_variant(variant: &str, expected: &'static [&'static str]) -> Self {
        ShapeMsg::UnknownVariant {
            variant: variant.to_owned(),
            expected: one_of(expected),
        }
    }

    fn unknown_field(field: &str, expected: &'static [&'static str]) -> Self {
        ShapeMsg::UnknownField {
            field: field.to_owned(),
            expected: one_of(expected),
        }
    }

    fn missing_field(field: &'static str) -> Self {
        ShapeMsg::MissingField {
            field: field.to_owned(),
        }
    }

    fn duplicate_field(field: &'static str) -> Self {
        ShapeMsg::DuplicateField {
            field: field.to_owned(),
        }
    }
}

/// A deserializer over a parsed JSON value that refuses anything but an
/// object where a struct is expected.
pub struct Strict<'a>(pub &'a Value);

struct AnObject;

impl Expected for AnObject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON object")
    }
}

fn unexpected(v: &Value) -> Unexpected<'_> {
    match v {
        Value::Null => Unexpected::Unit,
        Value::Bool(b) => Unexpected::Bool(*b),
        Value::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
            (Some(u), _, _) => Unexpected::Unsigned(u),
            (_, Some(i), _) => Unexpected::Signed(i),
            (_, _, f) => Unexpected::Float(f.unwrap_or(f64::NAN)),
        },
        Value::String(s) => Unexpected::Str(s),
        Value::Array(_) => Unexpected::Seq,
        Value::Object(_) => Unexpected::Map,
    }
}

/// JSON Schema counts `3.0` as an integer, so the document's `integer`
/// fields take it: a number with no fraction (and exact in a double) reaches
/// an integer field as that integer; serde would refuse the float.
macro_rules! integers {
    ($($method:ident)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            match integral(self.0) {
                Some(Ok(u)) => visitor.visit_u64(u),
                Some(Err(i)) => visitor.visit_i64(i),
                None => self.deserialize_any(visitor),
            }
        }
    )*};
}
/// A float with no fractional part within ±2^53, as an unsigned (`Ok`) or
/// negative (`Err`) integer.
fn integral(v: &Value) -> Option<Result<u64, i64>> {
    const EXACT: f64 = 9_007_199_254_740_992.0;
    let f = match v {
        Value::Number(n) if n.is_f64() => n.as_f64()?,
        _ => return None,
    };
    if f.fract() != 0.0 || f.abs() > EXACT {
        return None;
    }
    // In range and integral: the conversions are exact.
    Some(if f >= 0.0 {
        Ok(f as u64)
    } else {
        Err(f as i64)
    })
}

impl<'de> Deserializer<'de> for Strict<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Number(n) => match (n.as_u64(), n.as_i64()) {
                (Some(u), _) => visitor.visit_u64(u),
                (_, Some(i)) => visitor.visit_i64(i),
                _ => visitor.visit_f64(n.as_f64().unwrap_or(f64::NAN)),
            },
            Value::String(s) => visitor.visit_borrowed_str(s),
            Value::Array(items) => visitor.visit_seq(Seq(items.iter())),
            Value::Object(map) => visitor.visit_map(Fields::new(map)),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.0 {
            Value::Object(map) => visitor.visit_map(Fields::new(map)),
            other => Err(de::Error::invalid_type(unexpected(other), &AnObject)),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        // The model's enums are unit variants written as strings; the rare
        // `{variant: content}` is an object of one key, as serde_json reads it.
        let _ = (name, variants);
        match self.0 {
            Value::String(s) => visitor.visit_enum(BorrowedStrDeserializer::new(s)),
            Value::Object(map) if map.len() == 1 => {
                visitor.visit_enum(MapAccessDeserializer::new(Fields::new(map)))
            }
            other => Err(de::Error::invalid_type(
                unexpected(other),
                &"a string or an object with one key",
            )),
        }
    }

    integers! {
        deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64 deserialize_i128
        deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64 deserialize_u128
    }

    serde::forward_to_deserialize_any! {
        bool f32 f64 char str string bytes byte_buf unit unit_struct seq tuple
        tuple_struct map identifier ignored_any
    }
}

struct Seq<'a>(std::slice::Iter<'a, Value>);

impl<'de> SeqAccess<'de> for Seq<'de> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        self.0
            .next()
            .map(|v| seed.deserialize(Strict(v)))
            .transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.0.len())
    }
}

struct Fields<'a> {
    iter: serde_json::map::Iter<'a>,
    value: Option<&'a Value>,
}

impl<'a> Fields<'a> {
    fn new(map: &'a Map<String, Value>) -> Self {
        Fields {
            iter: map.iter(),
            value: None,
        }
    }
}

impl<'de> MapAccess<'de> for Fields<'de> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        match self.iter.next() {
            Some((k, v)) => {
                self.value = Some(v);
                seed.deserialize(k.as_str().into_deserializer()).map(Some)
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, Error> {
        match self.value.take() {
            Some(v) => seed.deserialize(Strict(v)),
            None => Err(de::Error::custom("a value was asked for before its key")),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.iter.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Outer {
        inner: Option<Inner>,
        list: Option<Vec<Inner>>,
        n: Option<u32>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Inner {
        a: Option<String>,
    }

    fn parse(v: Value) -> Result<Outer, ShapeMsg> {
        Outer::deserialize(Strict(&v))
    }

    #[test]
    fn objects_parse_as_serde_json_parses_them() {
        let v = serde_json::json!({"inner": {"a": "x"}, "list": [{"a": null}], "n": 3});
        assert_eq!(
            parse(v.clone()).unwrap(),
            serde_json::from_value(v).unwrap()
        );
    }

    #[test]
    fn a_struct_is_never_an_array_or_a_scalar() {
        for v in [
            serde_json::json!([null, null, null]),
            serde_json::json!(null),
            serde_json::json!(7),
            serde_json::json!("x"),
            serde_json::json!({"inner": ["x"]}),
            serde_json::json!({"list": [["x"]]}),
            serde_json::json!({"list": [1]}),
        ] {
            let e = parse(v.clone()).expect_err(&v.to_string());
            assert!(e.to_string().contains("expected a JSON object"), "{v}: {e}");
        }
        // serde_json alone takes the array for the struct.
        assert!(serde_json::from_value::<Outer>(serde_json::json!([null, null, null])).is_ok());
    }

    #[test]
    fn scalars_keep_their_types() {
        assert!(parse(serde_json::json!({"n": "3"})).is_err());
        assert!(parse(serde_json::json!({"n": -1})).is_err());
        assert!(parse(serde_json::json!({"n": 1.5})).is_err());
        assert!(parse(serde_json::json!({"n": -1.0})).is_err());
        assert!(parse(serde_json::json!({"n": 1e300})).is_err());
        // A JSON Schema integer written with a point.
        assert_eq!(parse(serde_json::json!({"n": 3.0})).unwrap().n, Some(3));
        assert_eq!(
            parse(serde_json::json!({"unknown": 1})).unwrap_err(),
            ShapeMsg::UnknownField {
                field: "unknown".into(),
                expected: "one of `inner`, `list`, `n`".into()
            }
        );
    }

    #[test]
    fn complaints_are_coded_with_what_they_name() {
        let e = parse(serde_json::json!({"n": "3"})).unwrap_err();
        assert_eq!(e.code(), "invalid_type");
        assert_eq!(e.to_string(), "invalid type: string \"3\", expected u32");
        let e =
            parse(serde_json::json!({"inner": null, "list": null, "n": null, "x": 1})).unwrap_err();
        assert_eq!(Coded::from(e).params["field"], "x");
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        enum Kind {
            A,
            B(u32),
        }
        let kind = |v: Value| Kind::deserialize(Strict(&v));
        assert!(matches!(kind(serde_json::json!("A")), Ok(Kind::A)));
        assert!(matches!(kind(serde_json::json!({"B": 2})), Ok(Kind::B(2))));
        assert_eq!(
            kind(serde_json::json!("C")).unwrap_err(),
            ShapeMsg::UnknownVariant {
                variant: "C".into(),
                expected: "`A` or `B`".into()
            }
        );
        assert_eq!(
            kind(serde_json::json!(null)).unwrap_err().code(),
            "invalid_type"
        );
    }
}
