//! `Accept-Encoding` (RFC 9110 §12.5.3): which of the service's codings
//! the client gets. Read in one pass over the field's bytes, without
//! allocating.
//!
//! - A coding's weight is its own q-value, else that of `*`, else it is
//!   not acceptable; `q=0` excludes it. `x-gzip` is `gzip` (§8.4.1.3).
//! - The highest weight wins; between equal weights, the service's order
//!   (`compression.algorithms`).
//! - `identity` with a weight above the winner's means the client would
//!   rather have the response as it is. Refusing identity too
//!   (`identity;q=0`) does not make the gateway refuse the request: it
//!   sends the response unencoded, which RFC 9110 allows.
//! - No `Accept-Encoding` at all: not compressed. RFC 9110 would allow any
//!   coding, but clients that send no field (scripts, `curl` without
//!   `--compressed`) rarely decode one.
//! - A coding named twice counts with its lower weight; an item whose
//!   q-value is malformed is ignored.

use http::HeaderMap;
use http::header::ACCEPT_ENCODING;
use weir_core::model::Encoding;

/// A q-value in thousandths: `q=0.5` is 500.
type Weight = u16;

const ONE: Weight = 1000;

/// What the field says about each coding the gateway knows.
#[derive(Debug, Default, Clone, Copy)]
struct Weights {
    br: Option<Weight>,
    zstd: Option<Weight>,
    gzip: Option<Weight>,
    star: Option<Weight>,
    identity: Option<Weight>,
}

impl Weights {
    fn slot(&mut self, coding: &[u8]) -> Option<&mut Option<Weight>> {
        let is = |name: &str| coding.eq_ignore_ascii_case(name.as_bytes());
        if is("br") {
            Some(&mut self.br)
        } else if is("zstd") {
            Some(&mut self.zstd)
        } else if is("gzip") || is("x-gzip") {
            Some(&mut self.gzip)
        } else if is("*") {
            Some(&mut self.star)
        } else if is("identity") {
            Some(&mut self.identity)
        } else {
            None
        }
    }

    /// The weight of `encoding`: its own, else `*`'s, else 0.
    fn of(&self, encoding: Encoding) -> Weight {
        let own = match encoding {
            Encoding::Br => self.br,
            Encoding::Zstd => self.zstd,
            Encoding::Gzip => self.gzip,
        };
        own.or(self.star).unwrap_or(0)
    }
}

/// The coding `headers`' `Accept-Encoding` gets among `algorithms` (in the
/// service's order of preference); `None`: the response goes as it is.
pub(crate) fn negotiate(algorithms: &[Encoding], headers: &HeaderMap) -> Option<Encoding> {
    let mut fields = headers.get_all(ACCEPT_ENCODING).iter().peekable();
    fields.peek()?;
    let mut weights = Weights::default();
    for field in fields {
        for item in field.as_bytes().split(|&b| b == b',') {
            let Some((coding, weight)) = parse_item(item) else {
                continue;
            };
            if let Some(slot) = weights.slot(coding) {
                *slot = Some(slot.map_or(weight, |w| w.min(weight)));
            }
        }
    }
    let mut best: Option<(Encoding, Weight)> = None;
    for &a in algorithms {
        let w = weights.of(a);
        if w > 0 && best.is_none_or(|(_, b)| w > b) {
            best = Some((a, w));
        }
    }
    let (encoding, weight) = best?;
    match weights.identity {
        Some(identity) if identity > weight => None,
        _ => Some(encoding),
    }
}

/// One list member: `coding` or `coding;q=0.8` (other parameters are
/// ignored). `None` for an empty member or a malformed q-value.
fn parse_item(item: &[u8]) -> Option<(&[u8], Weight)> {
    let mut parts = item.split(|&b| b == b';');
    let coding = parts.next()?.trim_ascii();
    if coding.is_empty() {
        return None;
    }
    let mut weight = ONE;
    for param in parts {
        let param = param.trim_ascii();
        let Some(eq) = param.iter().position(|&b| b == b'=') else {
            continue;
        };
        let (name, value) = (param[..eq].trim_ascii(), param[eq + 1..].trim_ascii());
        if name.eq_ignore_ascii_case(b"q") {
            weight = parse_qvalue(value)?;
        }
    }
    Some((coding, weight))
}

/// `qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )`.
fn parse_qvalue(v: &[u8]) -> Option<Weight> {
    let (int, frac) = match v.iter().position(|&b| b == b'.') {
        Some(dot) => (&v[..dot], &v[dot + 1..]),
        None => (v, &[][..]),
    };
    if frac.len() > 3 || !frac.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut thousandths: Weight = 0;
    for i in 0..3 {
        let digit = frac.get(i).map_or(0, |d| Weight::from(d - b'0'));
        thousandths = thousandths * 10 + digit;
    }
    match int {
        b"0" => Some(thousandths),
        b"1" if thousandths == 0 => Some(ONE),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    const SERVICE: [Encoding; 3] = [Encoding::Br, Encoding::Zstd, Encoding::Gzip];

    fn pick(fields: &[&str]) -> Option<&'static str> {
        pick_from(&SERVICE, fields)
    }

    fn pick_from(algorithms: &[Encoding], fields: &[&str]) -> Option<&'static str> {
        let mut h = HeaderMap::new();
        for f in fields {
            h.append(ACCEPT_ENCODING, HeaderValue::from_str(f).unwrap());
        }
        negotiate(algorithms, &h).map(Encoding::as_str)
    }

    #[test]
    fn the_highest_q_wins_and_ties_go_to_the_service_order() {
        assert_eq!(pick(&["gzip, deflate, br, zstd"]), Some("br"));
        assert_eq!(pick(&["gzip, zstd"]), Some("zstd"));
        assert_eq!(pick(&["gzip"]), Some("gzip"));
        assert_eq!(pick(&["br;q=0.5, gzip;q=0.9"]), Some("gzip"));
        assert_eq!(pick(&["br;q=0.9, zstd;q=0.9, gzip"]), Some("gzip"));
        assert_eq!(pick(&["br;q=0.9, zstd;q=0.9"]), Some("br"));
        assert_eq!(pick(&["GZIP;Q=1.000, Br ; q = 0.999"]), Some("gzip"));
        assert_eq!(pick(&["x-gzip"]), Some("gzip"));
        // Several fields are one list.
        assert_eq!(pick(&["gzip;q=0.5", "zstd;q=0.6"]), Some("zstd"));
        // The service's own order decides ties.
        assert_eq!(
            pick_from(&[Encoding::Gzip, Encoding::Br], &["br, gzip"]),
            Some("gzip")
        );
        // Codings the service does not offer are not picked.
        assert_eq!(pick_from(&[Encoding::Gzip], &["br, zstd"]), None);
        assert_eq!(pick(&["deflate, compress"]), None);
    }

    #[test]
    fn zero_excludes_and_star_fills_in() {
        assert_eq!(pick(&["br;q=0, gzip"]), Some("gzip"));
        assert_eq!(pick(&["br;q=0.0, zstd;q=0.000, gzip;q=0"]), None);
        assert_eq!(pick(&["*"]), Some("br"));
        assert_eq!(pick(&["*;q=0.5, gzip"]), Some("gzip"));
        assert_eq!(pick(&["*, br;q=0"]), Some("zstd"));
        assert_eq!(pick(&["*;q=0"]), None);
        assert_eq!(pick(&["*;q=0, gzip"]), Some("gzip"));
        // Named twice: the lower weight counts.
        assert_eq!(pick(&["br, br;q=0, gzip;q=0.1"]), Some("gzip"));
    }

    #[test]
    fn identity_above_the_best_coding_means_none() {
        assert_eq!(pick(&["identity;q=1, gzip;q=0.5"]), None);
        assert_eq!(pick(&["identity, gzip"]), Some("gzip"));
        assert_eq!(pick(&["identity;q=0.5, gzip"]), Some("gzip"));
        assert_eq!(pick(&["identity;q=0, gzip;q=0.1"]), Some("gzip"));
        assert_eq!(pick(&["identity"]), None);
        // Refusing everything still gets an answer, unencoded.
        assert_eq!(pick(&["identity;q=0, *;q=0"]), None);
    }

    #[test]
    fn no_field_or_an_empty_one_means_none() {
        assert_eq!(pick(&[]), None);
        assert_eq!(pick(&[""]), None);
        assert_eq!(pick(&[" , ,"]), None);
    }

    #[test]
    fn malformed_items_are_ignored() {
        for bad in [
            "gzip;q=2",
            "gzip;q=1.5",
            "gzip;q=0.1234",
            "gzip;q=",
            "gzip;q=abc",
            "gzip;q=.5",
            "gzip;q=-1",
            "gzip;q=1.001",
        ] {
            assert_eq!(pick(&[bad]), None, "{bad}");
            assert_eq!(
                pick(&[&format!("{bad}, zstd;q=0.1")]),
                Some("zstd"),
                "{bad}"
            );
        }
        // Other parameters do not matter.
        assert_eq!(pick(&["gzip;level=9;q=0.5, br;q=0.4"]), Some("gzip"));
        assert_eq!(pick(&["gzip;x"]), Some("gzip"));
    }

    #[test]
    fn qvalues_parse_as_thousandths() {
        for (text, want) in [
            ("0", Some(0)),
            ("0.", Some(0)),
            ("0.5", Some(500)),
            ("0.05", Some(50)),
            ("0.123", Some(123)),
            ("1", Some(1000)),
            ("1.0", Some(1000)),
            ("1.000", Some(1000)),
            ("1.01", None),
            ("2", None),
            ("", None),
            ("00.5", None),
        ] {
            assert_eq!(parse_qvalue(text.as_bytes()), want, "{text}");
        }
    }
}
