use super::*;

const DEFAULT: Options = Options {
    allow_encoded_slash: false,
};
const SLASHES: Options = Options {
    allow_encoded_slash: true,
};

fn norm(raw: &str) -> Result<String, PathError> {
    normalize(raw, DEFAULT).map(Cow::into_owned)
}

#[test]
fn normal_paths_are_borrowed() {
    for raw in [
        "/",
        "/a",
        "/a/",
        "/a/b/c",
        "/.well-known/jwks.json",
        "/oauth/tokens",
        "/a.b/c..d/...",
        "/a/.x/..y",
        "/%20space/%C3%A9",
        "/%252e",
        "/a;b=c",
        "/package.Service/Method",
        "/~user/",
    ] {
        let got = normalize(raw, DEFAULT).unwrap();
        assert!(matches!(got, Cow::Borrowed(_)), "{raw} was copied");
        assert_eq!(got, raw);
    }
}

#[test]
fn table() {
    let cases: &[(&str, &str)] = &[
        // RFC 3986 §5.4 reference resolution results, as paths, and the
        // remove_dot_segments examples of §5.2.4.
        ("/a/b/c/./../../g", "/a/g"),
        ("/mid/content=5/../6", "/mid/6"),
        ("/a/b/c/.", "/a/b/c/"),
        ("/a/b/c/./", "/a/b/c/"),
        ("/a/b/c/..", "/a/b/"),
        ("/a/b/c/../", "/a/b/"),
        ("/a/b/c/../g", "/a/b/g"),
        ("/a/b/c/../..", "/a/"),
        ("/a/b/c/../../", "/a/"),
        ("/a/b/c/../../g", "/a/g"),
        ("/a/b/c/../../../g", "/g"),
        ("/a/b/c/../../../../g", "/g"),
        ("/./g", "/g"),
        ("/../g", "/g"),
        ("/g.", "/g."),
        ("/.g", "/.g"),
        ("/g..", "/g.."),
        ("/..g", "/..g"),
        ("/a/b/c/./../g", "/a/b/g"),
        ("/a/b/c/g/.", "/a/b/c/g/"),
        ("/a/b/c/g/./h", "/a/b/c/g/h"),
        ("/a/b/c/g/../h", "/a/b/c/h"),
        // Climbing above the root is clamped.
        ("/..", "/"),
        ("/../", "/"),
        ("/../../..", "/"),
        ("/../../admin", "/admin"),
        ("/.", "/"),
        ("/./", "/"),
        // Trailing dot-segments keep a trailing slash.
        ("/public/..", "/"),
        ("/public/.", "/public/"),
        ("/admin/./x", "/admin/x"),
        ("/public/../admin", "/admin"),
        ("/public/../admin/", "/admin/"),
        // Repeated slashes merge.
        ("//", "/"),
        ("//admin", "/admin"),
        ("/a//b///c", "/a/b/c"),
        ("/a//", "/a/"),
        ("///..//admin", "/admin"),
        // Encoded unreserved characters are decoded, case-insensitively.
        ("/%61dmin", "/admin"),
        ("/%41DMIN", "/ADMIN"),
        ("/%7euser", "/~user"),
        ("/%7Euser", "/~user"),
        ("/a%2Db%5fc%30", "/a-b_c0"),
        // ... including dots, which then are dot-segments.
        ("/public/%2e%2e/admin", "/admin"),
        ("/public/%2E%2E/admin", "/admin"),
        ("/public/.%2e/admin", "/admin"),
        ("/public/%2e./admin", "/admin"),
        ("/public/%2e/admin", "/public/admin"),
        ("/public/%2e%2e", "/"),
        // Other escapes stay encoded, with upper-case hex.
        ("/a%20b", "/a%20b"),
        ("/%c3%a9", "/%C3%A9"),
        ("/%3b", "/%3B"),
        ("/%3f", "/%3F"),
        ("/%25", "/%25"),
        // No double decoding.
        ("/%252e%252e/admin", "/%252e%252e/admin"),
        ("/%252f", "/%252f"),
        ("/%25%32%65", "/%252e"),
        // Overlong and invalid UTF-8 escapes are not dots.
        ("/public/%c0%ae%c0%ae/admin", "/public/%C0%AE%C0%AE/admin"),
        ("/%e0%80%ae", "/%E0%80%AE"),
        ("/%ff%fe", "/%FF%FE"),
        // Dots that are part of a name stay.
        ("/a/...", "/a/..."),
        ("/a/.../b", "/a/.../b"),
    ];
    for (raw, want) in cases {
        assert_eq!(norm(raw).as_deref(), Ok(*want), "{raw}");
        // Normal form is a fixed point, and borrowed.
        let again = normalize(want, DEFAULT).unwrap();
        assert!(
            matches!(again, Cow::Borrowed(_)),
            "{want} is not a fixed point"
        );
    }
}

#[test]
fn refusals() {
    let cases: &[(&str, PathError)] = &[
        ("/a%2fb", PathError::EncodedSlash),
        ("/a%2Fb", PathError::EncodedSlash),
        ("/public/..%2fadmin", PathError::EncodedSlash),
        ("/%2f%2fadmin", PathError::EncodedSlash),
        ("/a\\b", PathError::Backslash),
        ("/public\\..\\admin", PathError::Backslash),
        ("/a%5cb", PathError::Backslash),
        ("/a%5Cb", PathError::Backslash),
        ("/a%00", PathError::Nul),
        ("/a%00.html", PathError::Nul),
        ("/a%", PathError::InvalidEscape),
        ("/a%2", PathError::InvalidEscape),
        ("/a%zz", PathError::InvalidEscape),
        ("/a%g0", PathError::InvalidEscape),
        ("/a%%30", PathError::InvalidEscape),
        ("/%2%65", PathError::InvalidEscape),
        ("a/b", PathError::NotAbsolute),
        ("", PathError::NotAbsolute),
        ("*", PathError::NotAbsolute),
        ("/public/..;/admin", PathError::DotParameters),
        ("/public/..;x=1/admin", PathError::DotParameters),
        ("/public/.;/admin", PathError::DotParameters),
        ("/public/%2e%2e;/admin", PathError::DotParameters),
    ];
    for (raw, want) in cases {
        assert_eq!(norm(raw), Err(*want), "{raw}");
        assert!(!want.reason().is_empty());
    }
}

#[test]
fn encoded_slashes_when_allowed() {
    let cases: &[(&str, &str)] = &[
        ("/a%2fb", "/a%2Fb"),
        ("/a%2Fb", "/a%2Fb"),
        // Never splits a segment: `..%2F` is a name, not a dot-segment.
        ("/public/..%2fadmin", "/public/..%2Fadmin"),
        ("/public/..%2F..%2Fadmin", "/public/..%2F..%2Fadmin"),
        ("/x/%2F/../y", "/x/y"),
    ];
    for (raw, want) in cases {
        let got = normalize(raw, SLASHES).unwrap();
        assert_eq!(got, *want, "{raw}");
    }
    // Backslashes and NUL stay refused.
    assert_eq!(normalize("/a%5c", SLASHES), Err(PathError::Backslash));
    assert_eq!(normalize("/a%00", SLASHES), Err(PathError::Nul));
    assert!(!has_encoded_slash("/%252F"));
}

#[test]
fn never_panics_and_is_idempotent_on_byte_soup() {
    // A small deterministic generator over the interesting alphabet.
    let alphabet: &[&str] = &[
        "/", ".", "..", "%2e", "%2E", "%2f", "%5c", "%00", "%", "%4", "%41", "%c0", "a", ";", "\\",
        "%25", "~",
    ];
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    for _ in 0..20_000 {
        let mut s = String::from("/");
        for _ in 0..(seed % 9) {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            s.push_str(alphabet[(seed % alphabet.len() as u64) as usize]);
        }
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        for opts in [DEFAULT, SLASHES] {
            if let Ok(once) = normalize(&s, opts) {
                let twice = normalize(&once, opts).unwrap();
                assert_eq!(once, twice, "{s}");
                assert!(
                    matches!(twice, Cow::Borrowed(_)),
                    "{s} → {once} is not normal"
                );
                assert!(once.starts_with('/'));
                assert!(!once.contains("//"), "{s} → {once}");
                assert!(
                    once.split('/').all(|seg| seg != "." && seg != ".."),
                    "{s} → {once}"
                );
            }
        }
    }
}
