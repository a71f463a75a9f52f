//! Lenient member deserialisation: every JSON value is accepted and classified in the same pass,
//! so a member of the wrong type becomes a warning instead of failing the whole document
//! (checklist A-12). Nothing here builds a `serde_json::Value`.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::{DocumentError, ExpectedType, JsonType, MetadataWarning};

/// One member value, classified.
#[derive(Debug)]
pub(crate) enum Member {
    Null,
    Bool(bool),
    Str(String),
    /// An array whose elements are all strings.
    StrList(Vec<String>),
    /// An array with an element that is not a string (the rest was skipped).
    BadList {
        index: usize,
        found: JsonType,
    },
    /// A number or an object (contents skipped).
    Other(JsonType),
}

impl Member {
    pub(crate) fn json_type(&self) -> JsonType {
        match self {
            Self::Null => JsonType::Null,
            Self::Bool(_) => JsonType::Boolean,
            Self::Str(_) => JsonType::String,
            Self::StrList(_) | Self::BadList { .. } => JsonType::Array,
            Self::Other(t) => *t,
        }
    }
}

impl<'de> Deserialize<'de> for Member {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(MemberVisitor)
    }
}

struct MemberVisitor;

impl<'de> Visitor<'de> for MemberVisitor {
    type Value = Member;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Member, E> {
        Ok(Member::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Member, E> {
        Ok(Member::Other(JsonType::Number))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Member, E> {
        Ok(Member::Other(JsonType::Number))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Member, E> {
        Ok(Member::Other(JsonType::Number))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Member, E> {
        Ok(Member::Str(String::from(v)))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Member, E> {
        Ok(Member::Str(v))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Member, E> {
        Ok(Member::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Member, E> {
        Ok(Member::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Member, D::Error> {
        Member::deserialize(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Member, A::Error> {
        // Bound the pre-allocation: the hint is untrusted (serde_json gives none anyway).
        let mut list = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(16));
        let mut index = 0usize;
        while let Some(el) = seq.next_element::<Element>()? {
            match el {
                Element::Str(s) => list.push(s),
                Element::Other(found) => {
                    while seq.next_element::<IgnoredAny>()?.is_some() {}
                    return Ok(Member::BadList { index, found });
                }
            }
            index = index.saturating_add(1);
        }
        Ok(Member::StrList(list))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Member, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Member::Other(JsonType::Object))
    }
}

/// One array element: a string, or the type of whatever else it was (skipped).
enum Element {
    Str(String),
    Other(JsonType),
}

impl<'de> Deserialize<'de> for Element {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ElementVisitor)
    }
}

struct ElementVisitor;

impl<'de> Visitor<'de> for ElementVisitor {
    type Value = Element;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Element, E> {
        Ok(Element::Other(JsonType::Boolean))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Element, E> {
        Ok(Element::Other(JsonType::Number))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Element, E> {
        Ok(Element::Other(JsonType::Number))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Element, E> {
        Ok(Element::Other(JsonType::Number))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Element, E> {
        Ok(Element::Str(String::from(v)))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Element, E> {
        Ok(Element::Str(v))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Element, E> {
        Ok(Element::Other(JsonType::Null))
    }

    fn visit_none<E: de::Error>(self) -> Result<Element, E> {
        Ok(Element::Other(JsonType::Null))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Element, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Element::Other(JsonType::Array))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Element, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Element::Other(JsonType::Object))
    }
}

/// A document as classified members, indexed like the `names` table it was parsed with.
pub(crate) struct Raw<const N: usize> {
    members: [Option<Member>; N],
    /// The first known member that appeared more than once.
    pub(crate) duplicate: Option<&'static str>,
}

impl<const N: usize> Raw<N> {
    /// Take member `i` out (each is taken once by the converter).
    pub(crate) fn take(&mut self, i: usize) -> Option<Member> {
        self.members.get_mut(i).and_then(Option::take)
    }
}

/// Parses a JSON object into a [`Raw`]: known members (by name, through `index`) are
/// classified, unknown ones are skipped without allocating.
pub(crate) struct RawSeed<const N: usize> {
    /// The member names, for error reporting.
    pub(crate) names: &'static [&'static str; N],
    /// The position of a member name in `names` (a `match`, which compiles to a length switch).
    pub(crate) index: fn(&str) -> Option<usize>,
}

impl<'de, const N: usize> de::DeserializeSeed<'de> for RawSeed<N> {
    type Value = Raw<N>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Raw<N>, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, const N: usize> Visitor<'de> for RawSeed<N> {
    type Value = Raw<N>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Raw<N>, A::Error> {
        let mut raw = Raw {
            members: [const { None }; N],
            duplicate: None,
        };
        while let Some(key) = map.next_key_seed(KeySeed(self.index))? {
            let Some(i) = key else {
                map.next_value::<IgnoredAny>()?;
                continue;
            };
            let value = map.next_value::<Member>()?;
            if let Some(slot) = raw.members.get_mut(i) {
                if slot.is_some() && raw.duplicate.is_none() {
                    raw.duplicate = self.names.get(i).copied();
                }
                *slot = Some(value);
            }
        }
        Ok(raw)
    }
}

/// Looks a member name up; escaped names are unescaped by `serde_json` first.
struct KeySeed(fn(&str) -> Option<usize>);

impl<'de> de::DeserializeSeed<'de> for KeySeed {
    type Value = Option<usize>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<usize>, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Option<usize>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a member name")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Option<usize>, E> {
        Ok((self.0)(v))
    }
}

/// Converts classified members into typed values, collecting warnings.
#[derive(Default)]
pub(crate) struct Converter {
    pub(crate) warnings: Vec<MetadataWarning>,
}

impl Converter {
    /// An optional string member.
    pub(crate) fn string(&mut self, m: Option<Member>, member: &'static str) -> Option<String> {
        match m? {
            Member::Str(s) => Some(s),
            Member::Null => None,
            other => {
                self.wrong(member, ExpectedType::String, &other);
                None
            }
        }
    }

    /// An optional array-of-strings member.
    pub(crate) fn list(&mut self, m: Option<Member>, member: &'static str) -> Option<Vec<String>> {
        match m? {
            Member::StrList(v) => Some(v),
            Member::Null => None,
            Member::BadList { index, found } => {
                self.warnings.push(MetadataWarning::WrongElementType {
                    member,
                    index,
                    found,
                });
                None
            }
            other => {
                self.wrong(member, ExpectedType::StringArray, &other);
                None
            }
        }
    }

    /// An optional boolean member; the strings `"true"` and `"false"` are read as booleans with a
    /// warning.
    pub(crate) fn boolean(&mut self, m: Option<Member>, member: &'static str) -> Option<bool> {
        match m? {
            Member::Bool(b) => Some(b),
            Member::Null => None,
            Member::Str(s) if s == "true" || s == "false" => {
                let value = s == "true";
                self.warnings
                    .push(MetadataWarning::BooleanAsString { member, value });
                Some(value)
            }
            other => {
                self.wrong(member, ExpectedType::Boolean, &other);
                None
            }
        }
    }

    fn wrong(&mut self, member: &'static str, expected: ExpectedType, m: &Member) {
        self.warnings.push(MetadataWarning::WrongType {
            member,
            expected,
            found: m.json_type(),
        });
    }
}

/// A required string member.
pub(crate) fn required_string(
    m: Option<Member>,
    member: &'static str,
) -> Result<String, DocumentError> {
    match m {
        None | Some(Member::Null) => Err(DocumentError::MissingMember(member)),
        Some(Member::Str(s)) => Ok(s),
        Some(other) => Err(DocumentError::InvalidMember {
            member,
            expected: ExpectedType::String,
            found: other.json_type(),
        }),
    }
}
