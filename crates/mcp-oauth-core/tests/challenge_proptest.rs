//! Property tests for the `WWW-Authenticate` parser:
//! - arbitrary and near-valid bytes never panic, and basic invariants hold;
//! - lists generated from a grammar model (RFC 9110 §11.6.1) parse back to the same schemes,
//!   token68s and parameters, quoted-pair escapes included;
//! - splitting a list into several field lines at its commas changes nothing (RFC 9110 §5.3).

use mcp_oauth_core::challenge::{self, Challenges, Field, OAuthChallenge};
use proptest::prelude::*;

/// Use every public accessor on whatever was parsed; return the number of errors seen.
fn exercise(lines: &[&[u8]]) -> usize {
    let mut errors = 0;
    let mut it = challenge::parse_lines(lines);
    for item in it.by_ref() {
        match item {
            Ok(c) => {
                assert!(!c.scheme().is_empty());
                let _ = c.token68();
                for p in c.params() {
                    let v = p.value();
                    let _ = (v.as_str(), v.to_string(), v.to_vec(), v.to_scopes());
                    assert_eq!(v.bytes().count(), v.to_vec().len());
                    let _ = v.scope_tokens().count();
                    let _ = c.param(p.name()).values().count();
                }
                let _ = format!("{c:?}");
            }
            Err(e) => {
                errors += 1;
                let at = e.position();
                assert!(at.line() < lines.len().max(1), "{e:?}");
                let len = lines.get(at.line()).map_or(0, |l| l.len());
                assert!(at.offset() <= len, "{e:?} in a line of {len} bytes");
                let _ = e.to_string();
            }
        }
    }
    // Fused.
    assert!(it.next().is_none() && it.next().is_none());
    let o = challenge::parse_lines(lines).oauth();
    assert_eq!(o.error_count(), errors);
    assert_eq!(
        o.challenge_count(),
        challenge::parse_lines(lines).filter(Result::is_ok).count()
    );
    for f in [
        o.resource_metadata(),
        o.scope(),
        o.error(),
        o.error_description(),
        o.error_uri(),
        o.realm(),
    ] {
        assert_eq!(f.values().count(), f.count());
        if let Field::One(v) = f {
            let _ = v.to_string();
        }
    }
    let _ = (format!("{o:?}"), o.action(403));
    errors
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    // covers: G-19 (any bytes, obs-text included), error positions stay in bounds
    #[test]
    fn arbitrary_bytes_never_panic(lines in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..120), 0..4)) {
        let refs: Vec<&[u8]> = lines.iter().map(Vec::as_slice).collect();
        exercise(&refs);
    }

    #[test]
    fn near_valid_text_never_panics(lines in prop::collection::vec("[ \t,=\"\\\\a-zA-Z0-9/+:'_.~-]{0,80}", 0..4)) {
        let refs: Vec<&[u8]> = lines.iter().map(|l| l.as_bytes()).collect();
        exercise(&refs);
    }
}

// ------------------------------------------------------------------ grammar model

#[derive(Debug, Clone)]
enum Value {
    Token(String),
    /// Unescaped bytes, each with "escape it even if not needed".
    Quoted(Vec<(u8, bool)>),
}

impl Value {
    fn unescaped(&self) -> Vec<u8> {
        match self {
            Self::Token(t) => t.as_bytes().to_vec(),
            Self::Quoted(q) => q.iter().map(|(b, _)| *b).collect(),
        }
    }

    fn write(&self, out: &mut Vec<u8>) {
        match self {
            Self::Token(t) => out.extend_from_slice(t.as_bytes()),
            Self::Quoted(q) => {
                out.push(b'"');
                for &(b, esc) in q {
                    if esc || b == b'"' || b == b'\\' {
                        out.push(b'\\');
                    }
                    out.push(b);
                }
                out.push(b'"');
            }
        }
    }
}

#[derive(Debug, Clone)]
enum Body {
    Nothing,
    Token68(String),
    Params(Vec<(String, String, String, Value)>),
}

#[derive(Debug, Clone)]
struct Model {
    scheme: String,
    body: Body,
}

const TOKEN: &str = "[!#$%&'*+.^_`|~0-9a-zA-Z-]{1,10}";
const BWS: &str = "[ \t]{0,2}";

fn value() -> impl Strategy<Value = Value> {
    // HTAB, SP, VCHAR and obs-text: everything a quoted-pair may carry.
    let byte = prop_oneof![
        Just(b'\t'),
        0x20u8..=0x7E,
        0x80u8..=0xFF,
        Just(b'"'),
        Just(b'\\'),
        Just(b','),
        Just(b'='),
    ];
    prop_oneof![
        TOKEN.prop_map(Value::Token),
        prop::collection::vec((byte, any::<bool>()), 0..16).prop_map(Value::Quoted),
    ]
}

fn model() -> impl Strategy<Value = Model> {
    let body = prop_oneof![
        Just(Body::Nothing),
        "[A-Za-z0-9._~+/-]{1,12}={0,2}".prop_map(Body::Token68),
        prop::collection::vec((TOKEN, BWS, BWS, value()), 1..5).prop_map(Body::Params),
    ];
    (TOKEN, body).prop_map(|(scheme, body)| Model { scheme, body })
}

/// Serialise to list elements (each element is a challenge head or one further parameter).
fn elements(models: &[Model]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for m in models {
        let mut head = m.scheme.as_bytes().to_vec();
        match &m.body {
            Body::Nothing => out.push(head),
            Body::Token68(t) => {
                head.push(b' ');
                head.extend_from_slice(t.as_bytes());
                out.push(head);
            }
            Body::Params(params) => {
                head.push(b' ');
                for (i, (name, bws1, bws2, v)) in params.iter().enumerate() {
                    let mut e = if i == 0 { head.clone() } else { Vec::new() };
                    e.extend_from_slice(name.as_bytes());
                    e.extend_from_slice(bws1.as_bytes());
                    e.push(b'=');
                    e.extend_from_slice(bws2.as_bytes());
                    v.write(&mut e);
                    out.push(e);
                }
            }
        }
    }
    out
}

/// What the model should parse to: (scheme, token68, [(name, unescaped value)]).
type Parsed = Vec<(String, Option<String>, Vec<(String, Vec<u8>)>)>;

fn expected(models: &[Model]) -> Parsed {
    models
        .iter()
        .map(|m| match &m.body {
            Body::Nothing => (m.scheme.clone(), None, vec![]),
            Body::Token68(t) => (m.scheme.clone(), Some(t.clone()), vec![]),
            Body::Params(p) => (
                m.scheme.clone(),
                None,
                p.iter()
                    .map(|(n, _, _, v)| (n.clone(), v.unescaped()))
                    .collect(),
            ),
        })
        .collect()
}

fn parsed(c: Challenges<'_>) -> (Parsed, usize) {
    let mut errors = 0;
    let mut out = Vec::new();
    for item in c {
        match item {
            Ok(c) => out.push((
                c.scheme().to_owned(),
                c.token68().map(str::to_owned),
                c.params()
                    .map(|p| (p.name().to_owned(), p.value().to_vec()))
                    .collect(),
            )),
            Err(_) => errors += 1,
        }
    }
    (out, errors)
}

fn join(elements: &[Vec<u8>], seps: &[String]) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, e) in elements.iter().enumerate() {
        if i > 0 {
            out.extend_from_slice(seps[i % seps.len()].as_bytes());
        }
        out.extend_from_slice(e);
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    // covers: G-3, G-4, G-5, G-6, G-7, G-9, G-10, G-11, G-12, G-19 (model round trip)
    #[test]
    fn generated_lists_parse_back(
        models in prop::collection::vec(model(), 0..6),
        seps in prop::collection::vec("[ \t]{0,2},([ \t]{0,1},){0,2}[ \t]{0,2}", 1..4),
        lead in "[ \t,]{0,3}",
        trail in "[ \t,]{0,3}",
    ) {
        let mut line = lead.into_bytes();
        line.extend(join(&elements(&models), &seps));
        line.extend(trail.into_bytes());
        let (got, errors) = parsed(challenge::parse_bytes(&line));
        prop_assert_eq!(errors, 0, "{}", String::from_utf8_lossy(&line));
        prop_assert_eq!(got, expected(&models), "{}", String::from_utf8_lossy(&line));
    }

    // covers: G-8, D-2
    #[test]
    fn splitting_into_field_lines_changes_nothing(
        models in prop::collection::vec(model(), 0..6),
        seps in prop::collection::vec("[ \t]{0,2},[ \t]{0,2}", 1..3),
        breaks in prop::collection::vec(any::<bool>(), 0..24),
        empty_lines in any::<bool>(),
    ) {
        let elements = elements(&models);
        let joined = join(&elements, &seps);
        // Group consecutive elements into lines.
        let mut lines: Vec<Vec<u8>> = vec![Vec::new()];
        for (i, e) in elements.iter().enumerate() {
            if i > 0 {
                if breaks.get(i).copied().unwrap_or(false) {
                    if empty_lines {
                        lines.push(Vec::new());
                    }
                    lines.push(Vec::new());
                } else {
                    lines.last_mut().unwrap().extend_from_slice(seps[i % seps.len()].as_bytes());
                }
            }
            lines.last_mut().unwrap().extend_from_slice(e);
        }
        let refs: Vec<&[u8]> = lines.iter().map(Vec::as_slice).collect();
        let one = parsed(challenge::parse_bytes(&joined));
        let many = parsed(challenge::parse_lines(&refs));
        prop_assert_eq!(&one, &many);
        prop_assert_eq!(one.1, 0);
        let a = format!("{:?}", OAuthChallenge::from_challenges(challenge::parse_bytes(&joined)));
        let b = format!("{:?}", challenge::parse_lines(&refs).oauth());
        prop_assert_eq!(a, b);
    }

    #[test]
    fn mutated_valid_lists_never_panic(
        models in prop::collection::vec(model(), 1..5),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..6),
    ) {
        let mut line = join(&elements(&models), &[", ".to_owned()]);
        for (at, byte, op) in edits {
            if line.is_empty() {
                line.push(byte);
                continue;
            }
            let i = at.index(line.len());
            match op {
                0 => line[i] = byte,
                1 => line.insert(i, byte),
                _ => { line.remove(i); }
            }
        }
        exercise(&[&line]);
    }
}
