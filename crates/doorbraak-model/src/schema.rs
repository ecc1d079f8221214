//! JSON Schemas of the model's inputs for the node's OpenAPI document (feature `openapi`): the
//! same limits the rules check (`text`, `identity`), so that a request valid by the document is
//! one the rules accept as input. Fields use them with `#[schema(schema_with = ...)]`.
//!
//! What a schema cannot say is said in the descriptions: a number shaped like a BSN is refused
//! in every free text (`input.bsn_not_allowed`).

use std::borrow::Cow;

use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
use utoipa::openapi::{RefOr, Schema};

use crate::identity::{CaseRef, KNOWN_OIN_PREFIXES, Oin, PersonId};
use crate::text::{MAX_SHORT, MAX_TEXT};

/// The control characters the rules refuse in text (`char::is_control` less tab, newline and
/// carriage return), as an ECMA-262 character-class body.
const CONTROL: &str = r"\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F";

const BSN: &str = "Never a number shaped like a BSN (refused as input.bsn_not_allowed).";

fn string(min: usize, max: usize, pattern: String, description: &str) -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(min))
        .max_length(Some(max))
        .pattern(Some(pattern))
        .description(Some(description))
        .into()
}

fn non_blank(max: usize) -> Schema {
    string(
        1,
        max,
        format!(r"^[^{CONTROL}]*[^\s{CONTROL}][^{CONTROL}]*$"),
        &format!("Not blank, at most {max} characters, no control characters. {BSN}"),
    )
}

/// A required free text: not blank, at most [`MAX_TEXT`] characters, no control characters.
pub fn text() -> Schema {
    non_blank(MAX_TEXT)
}

/// A required short text (a title, a name): not blank, at most [`MAX_SHORT`] characters.
pub fn short_text() -> Schema {
    non_blank(MAX_SHORT)
}

/// An optional free text (may be empty): at most [`MAX_TEXT`] characters.
pub fn optional_text() -> Schema {
    string(
        0,
        MAX_TEXT,
        format!(r"^[^{CONTROL}]*$"),
        &format!("At most {MAX_TEXT} characters, no control characters. {BSN}"),
    )
}

/// A calendar day, `YYYY-MM-DD`.
pub fn date() -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Date)))
        .into()
}

/// A moment, RFC 3339 with an offset.
pub fn date_time() -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
        .into()
}

/// An id of a stream or meeting: a UUID.
pub fn uuid() -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)))
        .into()
}

/// The SHA-256 of a text, in lower-case hex.
pub fn sha256() -> Schema {
    string(64, 64, "^[0-9a-f]{64}$".into(), "SHA-256, lower-case hex.")
}

/// [`optional_text`] as a type, for the items of a list.
pub struct OptionalText;

impl utoipa::PartialSchema for OptionalText {
    fn schema() -> RefOr<Schema> {
        optional_text().into()
    }
}

impl utoipa::ToSchema for OptionalText {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("OptionalText")
    }
}

/// The pattern of an OIN: 20 positions with a known prefix.
pub fn oin_pattern() -> String {
    let prefixes: Vec<&str> = KNOWN_OIN_PREFIXES.to_vec();
    let rest = 20 - KNOWN_OIN_PREFIXES[0].len();
    format!("^(?:{})[0-9A-Z]{{{rest}}}$", prefixes.join("|"))
}

impl utoipa::PartialSchema for Oin {
    fn schema() -> RefOr<Schema> {
        string(
            20,
            20,
            oin_pattern(),
            "Organisatie-identificatienummer: 20 positions, a prefix of the OIN-stelsel (8 digits), then digits or upper-case letters.",
        )
        .into()
    }
}

impl utoipa::ToSchema for Oin {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("Oin")
    }
}

impl utoipa::PartialSchema for CaseRef {
    fn schema() -> RefOr<Schema> {
        string(
            1,
            64,
            "^[A-Za-z0-9._-]{1,64}$".into(),
            &format!("A pseudonymous case reference: letters, digits, '.', '_' or '-'. {BSN}"),
        )
        .into()
    }
}

impl utoipa::ToSchema for CaseRef {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("CaseRef")
    }
}

impl utoipa::PartialSchema for PersonId {
    fn schema() -> RefOr<Schema> {
        let mut s = non_blank(MAX_SHORT);
        if let Schema::Object(o) = &mut s {
            o.description = Some(
                "A person's id within their organisation (an opaque, non-personal identifier such \
                 as the subject of the organisation's identity provider)."
                    .into(),
            );
        }
        s.into()
    }
}

impl utoipa::ToSchema for PersonId {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("PersonId")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_oin_pattern_names_the_known_prefixes() {
        assert_eq!(
            oin_pattern(),
            "^(?:00000001|00000002|00000003|00000004|00000006|00000007|00000008|00000009|00000010|00000011|00000099)[0-9A-Z]{12}$"
        );
    }
}
