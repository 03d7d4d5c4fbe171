//! Reading JSON request bodies so that one response names every failing field.
//!
//! serde stops at the first field of the wrong type, which would hide every other mistake in the
//! request. So a body is read as a JSON value first, then deserialized into its request type; when
//! a field cannot be read (wrong JSON type, unknown name, a U+0000 character), that field is
//! recorded as unreadable, taken out of the value, and deserialization goes on without it. The
//! handler's own validation then adds its findings to the same list, skipping fields already
//! reported as unreadable, so a person sees each problem once, in plain words.
//!
//! Every step is bounded before it works, so that what a body costs grows with its size and no
//! faster: the JSON is read under a budget of values and depth ([`MAX_BODY_VALUES`],
//! [`MAX_BODY_DEPTH`]) counted while it is read; a list declared with a bound ([`BoundedVec`])
//! refuses more items by its length before reading one of them; and the rounds that take
//! unreadable fields out stop after [`MAX_REPORTED_FIELDS`] findings.

use std::cell::Cell;

use serde::de::{self, DeserializeOwned, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use serde_path_to_error::Segment;

use super::problem::ApiError;
use crate::domain::validation::FieldErrors;

/// Parses a JSON body into `T`: 400 when it is not JSON, otherwise the value read and the fields
/// that could not be read. A body that is not a JSON object is a 422 on its own.
pub fn parse_body<T: DeserializeOwned>(bytes: &[u8]) -> Result<(T, FieldErrors), ApiError> {
    let value = read_bounded_json(bytes)?;
    if !value.is_object() {
        return Err(ApiError::field("", "the body must be a JSON object"));
    }
    let mut errors = FieldErrors::new();
    match read_value(value, "", &mut errors) {
        Some(parsed) => Ok((parsed, errors)),
        None => Err(ApiError::Validation(errors.into_vec())),
    }
}

/// Deserializes `value` (found at `prefix` in the request) into `T`, recording every field that
/// cannot be read in `errors`. `None` only when the value as a whole cannot be read.
pub fn read_value<T: DeserializeOwned>(mut value: Value, prefix: &str, errors: &mut FieldErrors) -> Option<T> {
    remove_nul_strings(&mut value, prefix, errors);
    integral_numbers_as_integers(&mut value);
    // Each round takes one node out of the value and costs one pass over it: bounded twice, by
    // the nodes and by the findings worth reporting, so a body full of mistakes stays linear.
    let rounds = count_nodes(&value).saturating_add(1).min(MAX_REPORTED_FIELDS);
    for _ in 0..rounds {
        #[cfg(test)]
        tests::ROUNDS.with(|r| r.set(r.get() + 1));
        let error = match serde_path_to_error::deserialize::<_, T>(&value) {
            Ok(parsed) => return Some(parsed),
            Err(error) => error,
        };
        let mut segments: Vec<Segment> = error.path().iter().cloned().collect();
        let message = error.into_inner().to_string();
        if let Some(name) = unknown_field_name(&message)
            && !matches!(segments.last(), Some(Segment::Map { key }) if *key == name)
        {
            segments.push(Segment::Map { key: name });
        }
        let field = join(prefix, &segments);
        let kind = expected_kind(&message);
        match kind {
            Expected::AtMost => errors.add_unreadable(field, at_most_message(&message)),
            _ => errors.add_unreadable(field, kind.message()),
        }
        if segments.is_empty() || !take_out(&mut value, &segments, kind) {
            return None;
        }
    }
    None
}

/// The name in serde's "unknown field `name`, expected ..." message.
fn unknown_field_name(message: &str) -> Option<String> {
    let rest = message.strip_prefix("unknown field `")?;
    rest.find('`').map(|end| rest[..end].to_owned())
}

/// What serde expected where it failed, as far as its message tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expected {
    Object,
    List,
    Boolean,
    Text,
    WholeNumber,
    Number,
    KnownField,
    /// A bounded list with more items than its bound ([`BoundedVec`]).
    AtMost,
    Other,
}

impl Expected {
    /// The finding in words for the person who sent the request.
    fn message(self) -> &'static str {
        match self {
            Expected::Object => "must be an object",
            Expected::List => "must be a list",
            Expected::Boolean => "must be true or false",
            Expected::Text => "must be a string",
            Expected::WholeNumber => "must be a whole number within range",
            Expected::Number => "must be a number",
            Expected::KnownField => "is not a field of this request",
            Expected::AtMost => "has too many items",
            Expected::Other => "has the wrong type",
        }
    }

    /// A value of the expected type, standing in for a list item that could not be read so that
    /// the other items keep their positions (what is said about it afterwards is dropped).
    fn placeholder(self) -> Option<Value> {
        match self {
            Expected::Object => Some(Value::Object(serde_json::Map::new())),
            Expected::List => Some(Value::Array(Vec::new())),
            Expected::Boolean => Some(Value::Bool(false)),
            Expected::Text => Some(Value::String(String::new())),
            Expected::WholeNumber | Expected::Number => Some(Value::from(0)),
            Expected::KnownField | Expected::AtMost | Expected::Other => None,
        }
    }
}

fn expected_kind(message: &str) -> Expected {
    if message.starts_with("unknown field") {
        return Expected::KnownField;
    }
    if message.starts_with(TOO_MANY_ITEMS) {
        return Expected::AtMost;
    }
    let expected = message.rsplit("expected ").next().unwrap_or_default();
    if expected.starts_with("struct") || expected.starts_with("a map") {
        Expected::Object
    } else if expected.starts_with("a sequence") {
        Expected::List
    } else if expected.starts_with("a boolean") {
        Expected::Boolean
    } else if expected.starts_with("a string") {
        Expected::Text
    } else if ["i64", "u64", "i32", "u32", "usize", "isize", "u16", "i16", "u8", "i8"].contains(&expected.trim()) {
        Expected::WholeNumber
    } else if expected.starts_with("f64") || expected.starts_with("f32") {
        Expected::Number
    } else {
        Expected::Other
    }
}

/// `prefix` and the segments as the API names fields: `timeline.end_date`, `items[2].skill_id`.
fn join(prefix: &str, segments: &[Segment]) -> String {
    let mut path = prefix.to_owned();
    for segment in segments {
        match segment {
            Segment::Seq { index } => path.push_str(&format!("[{index}]")),
            Segment::Map { key } | Segment::Enum { variant: key } => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
            }
            Segment::Unknown => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push('?');
            }
        }
    }
    path
}

/// Takes the node at `segments` out of `value`: a member is removed; a list item is replaced by
/// a placeholder of the expected type, so that the other items keep the positions the client
/// gave them. False when that cannot be done.
fn take_out(value: &mut Value, segments: &[Segment], kind: Expected) -> bool {
    let Some((last, parents)) = segments.split_last() else {
        return false;
    };
    let mut node = value;
    for segment in parents {
        node = match (segment, node) {
            (Segment::Map { key }, Value::Object(map)) => match map.get_mut(key) {
                Some(child) => child,
                None => return false,
            },
            (Segment::Seq { index }, Value::Array(items)) => match items.get_mut(*index) {
                Some(child) => child,
                None => return false,
            },
            _ => return false,
        };
    }
    match (last, node) {
        (Segment::Map { key }, Value::Object(map)) => map.remove(key).is_some(),
        (Segment::Seq { index }, Value::Array(items)) => match (items.get_mut(*index), kind.placeholder()) {
            (Some(item), Some(placeholder)) if *item != placeholder => {
                *item = placeholder;
                true
            }
            _ => false,
        },
        _ => false,
    }
}

/// U+0000 is refused in every text on every backend (PostgreSQL cannot store it; SQLite would):
/// a member holding such a text is removed, a list item becomes an empty text.
fn remove_nul_strings(value: &mut Value, path: &str, errors: &mut FieldErrors) {
    const MESSAGE: &str = "must not contain the NUL character (U+0000)";
    let has_nul = |v: &Value| matches!(v, Value::String(text) if text.contains('\0'));
    match value {
        Value::Object(map) => {
            let bad: Vec<String> = map
                .iter()
                .filter(|(k, v)| k.contains('\0') || has_nul(v))
                .map(|(k, _)| k.clone())
                .collect();
            for key in bad {
                map.remove(&key);
                let shown = key.replace('\0', "\u{FFFD}");
                errors.add_unreadable(join(path, &[Segment::Map { key: shown }]), MESSAGE);
            }
            for (key, child) in map.iter_mut() {
                let child_path = join(path, &[Segment::Map { key: key.clone() }]);
                remove_nul_strings(child, &child_path, errors);
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter_mut().enumerate() {
                let child_path = join(path, &[Segment::Seq { index }]);
                if has_nul(child) {
                    errors.add_unreadable(child_path, MESSAGE);
                    *child = Value::String(String::new());
                } else {
                    remove_nul_strings(child, &child_path, errors);
                }
            }
        }
        _ => {}
    }
}

/// JSON has one number type: `156.0` is the integer 156 (JSON Schema's `integer` says so too), so
/// an integral number written with a fraction or an exponent reads as an integer.
fn integral_numbers_as_integers(value: &mut Value) {
    // Integers from here on are exact in an f64 (2^53); beyond that `156.0` was not exact anyway.
    const EXACT: f64 = 9_007_199_254_740_992.0;
    match value {
        Value::Number(number) if !number.is_i64() && !number.is_u64() => {
            if let Some(float) = number.as_f64()
                && float.fract() == 0.0
                && float.abs() <= EXACT
            {
                *value = Value::from(float as i64);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(integral_numbers_as_integers),
        Value::Object(map) => map.values_mut().for_each(integral_numbers_as_integers),
        _ => {}
    }
}

/// The most JSON values (objects, lists, members and scalars each count one) a request body may
/// hold: the largest request of the API (50 skill requirements of six fields) holds about 400.
pub const MAX_BODY_VALUES: usize = 4096;
/// The deepest a request body may nest: the API's requests nest four deep at most.
pub const MAX_BODY_DEPTH: usize = 16;
/// The most unreadable fields one answer reports: past that, the client has other problems than
/// a field list can help with, and each further finding would cost another pass over the body.
pub const MAX_REPORTED_FIELDS: usize = 100;

/// Reads `bytes` as JSON under the value and depth budget, counting while it reads: a body over
/// either is refused at the value that crosses it, before the rest is read.
pub fn read_bounded_json(bytes: &[u8]) -> Result<Value, ApiError> {
    let budget = Budget {
        left: Cell::new(MAX_BODY_VALUES),
    };
    let mut reader = serde_json::Deserializer::from_slice(bytes);
    let read = BudgetedValue {
        budget: &budget,
        depth: 0,
    }
    .deserialize(&mut reader)
    .and_then(|value| reader.end().map(|()| value));
    read.map_err(|error| {
        if budget.left.get() == 0 || error.to_string().starts_with(OVER_BUDGET) {
            ApiError::BodyTooComplex {
                values: MAX_BODY_VALUES,
                depth: MAX_BODY_DEPTH,
            }
        } else {
            ApiError::BadRequest {
                code: "malformed_json",
                detail: format!(
                    "the body is not valid JSON (line {}, column {})",
                    error.line(),
                    error.column()
                ),
            }
        }
    })
}

const OVER_BUDGET: &str = "over the body's budget";

struct Budget {
    left: Cell<usize>,
}

/// A JSON value read while counting it against the budget.
struct BudgetedValue<'b> {
    budget: &'b Budget,
    depth: usize,
}

impl BudgetedValue<'_> {
    fn take<E: de::Error>(&self) -> Result<(), E> {
        match self.budget.left.get().checked_sub(1) {
            Some(left) if self.depth <= MAX_BODY_DEPTH => {
                self.budget.left.set(left);
                Ok(())
            }
            _ => {
                self.budget.left.set(0);
                Err(E::custom(OVER_BUDGET))
            }
        }
    }

    fn child(&self) -> BudgetedValue<'_> {
        BudgetedValue {
            budget: self.budget,
            depth: self.depth.saturating_add(1),
        }
    }
}

impl<'de> DeserializeSeed<'de> for BudgetedValue<'_> {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for BudgetedValue<'_> {
    type Value = Value;

    fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
        formatter.write_str("a JSON value")
    }

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<Value, E> {
        self.take()?;
        Ok(Value::Bool(value))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Value, E> {
        self.take()?;
        Ok(Value::from(value))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Value, E> {
        self.take()?;
        Ok(Value::from(value))
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Value, E> {
        self.take()?;
        Ok(serde_json::Number::from_f64(value).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Value, E> {
        self.take()?;
        Ok(Value::String(value.to_owned()))
    }

    fn visit_string<E: de::Error>(self, value: String) -> Result<Value, E> {
        self.take()?;
        Ok(Value::String(value))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        self.take()?;
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        self.take()?;
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(self.child())? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        self.take()?;
        let mut members = serde_json::Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value_seed(self.child())?;
            members.insert(key, value);
        }
        Ok(Value::Object(members))
    }
}

/// The start of the message a [`BoundedVec`] fails with, which the field list turns into words.
const TOO_MANY_ITEMS: &str = "too many items: at most ";

/// "must list at most 50 items" from [`BoundedVec`]'s message.
fn at_most_message(message: &str) -> String {
    let bound: String = message
        .strip_prefix(TOO_MANY_ITEMS)
        .unwrap_or_default()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    format!("must list at most {bound} items")
}

/// A list of at most `N` items, refused by its length before any item is read (a JSON value
/// knows its length), and counted while read where the length is not known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoundedVec<T, const N: usize>(pub Vec<T>);

impl<T, const N: usize> std::ops::Deref for BoundedVec<T, N> {
    type Target = [T];

    fn deref(&self) -> &[T] {
        &self.0
    }
}

impl<'de, T: serde::Deserialize<'de>, const N: usize> serde::Deserialize<'de> for BoundedVec<T, N> {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Items<T, const N: usize>(std::marker::PhantomData<T>);

        impl<'de, T: serde::Deserialize<'de>, const N: usize> Visitor<'de> for Items<T, N> {
            type Value = BoundedVec<T, N>;

            fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
                write!(formatter, "a sequence of at most {N} items")
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let too_many = || de::Error::custom(format!("{TOO_MANY_ITEMS}{N}"));
                if seq.size_hint().is_some_and(|len| len > N) {
                    return Err(too_many());
                }
                let mut items = Vec::new();
                while let Some(item) = seq.next_element()? {
                    if items.len() == N {
                        return Err(too_many());
                    }
                    items.push(item);
                }
                Ok(BoundedVec(items))
            }
        }

        deserializer.deserialize_seq(Items::<T, N>(std::marker::PhantomData))
    }
}

fn count_nodes(value: &Value) -> usize {
    match value {
        Value::Object(map) => map.values().map(count_nodes).sum::<usize>().saturating_add(1),
        Value::Array(items) => items.iter().map(count_nodes).sum::<usize>().saturating_add(1),
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    thread_local! {
        /// Deserialization rounds run by this thread (each one pass over the body).
        pub(super) static ROUNDS: Cell<usize> = const { Cell::new(0) };
    }

    /// The rounds one parse runs.
    fn rounds_of<T: DeserializeOwned>(body: &[u8]) -> (Result<(T, FieldErrors), ApiError>, usize) {
        ROUNDS.with(|r| r.set(0));
        let parsed = parse_body::<T>(body);
        (parsed, ROUNDS.with(Cell::get))
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Listed {
        items: Option<BoundedVec<Money, 3>>,
        note: Option<String>,
    }

    #[test]
    fn a_bounded_list_over_its_bound_is_refused_by_its_length_in_one_round() {
        // The attack of issue 23: thousands of bad items once cost one round each (within the
        // value budget: 8,000 items are refused while they are read, below).
        let body = format!("{{\"items\": [{}], \"note\": 5}}", vec!["1"; 4000].join(","));
        let (parsed, rounds) = rounds_of::<Listed>(body.as_bytes());
        let (listed, errors) = parsed.unwrap();
        assert!(listed.items.is_none());
        assert_eq!(
            fields(errors),
            vec![
                ("items".to_owned(), "must list at most 3 items".to_owned()),
                ("note".to_owned(), "must be a string".to_owned()),
            ]
        );
        assert_eq!(rounds, 3, "one round per finding, whatever the list's length");
        let over_budget = format!("{{\"items\": [{}]}}", vec!["1"; 8000].join(","));
        assert!(matches!(
            rounds_of::<Listed>(over_budget.as_bytes()),
            (Err(ApiError::BodyTooComplex { .. }), 0)
        ));
        let (parsed, _) = rounds_of::<Listed>(br#"{"items": [{"amount": "1"}, {}, {}]}"#);
        let (listed, errors) = parsed.unwrap();
        assert_eq!((listed.items.unwrap().len(), errors.is_empty()), (3, true));
    }

    #[test]
    fn a_body_of_many_mistakes_costs_at_most_the_reported_rounds() {
        for shape in [
            // Unknown members, each a finding.
            format!(
                "{{{}}}",
                (0..3000).map(|i| format!("\"f{i}\": 1")).collect::<Vec<_>>().join(",")
            ),
            // Wrong types inside an unbounded list.
            format!("{{\"days\": [{}]}}", vec!["7"; 3000].join(",")),
        ] {
            let (parsed, rounds) = rounds_of::<Create>(shape.as_bytes());
            let errors = match parsed {
                Ok((_, errors)) => errors.into_vec(),
                Err(ApiError::Validation(errors)) => errors,
                Err(other) => panic!("{other:?}"),
            };
            assert!(rounds <= MAX_REPORTED_FIELDS, "{rounds} rounds");
            assert!(
                !errors.is_empty() && errors.len() <= MAX_REPORTED_FIELDS,
                "{}",
                errors.len()
            );
        }
    }

    #[test]
    fn a_body_over_the_value_or_depth_budget_is_refused_while_it_is_read() {
        let many = format!("{{\"days\": [{}]}}", vec!["\"x\""; MAX_BODY_VALUES].join(","));
        assert!(matches!(
            parse_body::<Create>(many.as_bytes()).unwrap_err(),
            ApiError::BodyTooComplex { .. }
        ));
        let deep = format!(
            "{{\"title\": {}1{}}}",
            "[".repeat(MAX_BODY_DEPTH + 1),
            "]".repeat(MAX_BODY_DEPTH + 1)
        );
        assert!(matches!(
            parse_body::<Create>(deep.as_bytes()).unwrap_err(),
            ApiError::BodyTooComplex { .. }
        ));
        let within = format!("{{\"days\": [{}]}}", vec!["\"x\""; MAX_BODY_VALUES - 3].join(","));
        assert!(parse_body::<Create>(within.as_bytes()).is_ok());
        // Malformed JSON is still malformed JSON, not a budget problem.
        assert!(matches!(
            parse_body::<Create>(b"{\"days\": [1,").unwrap_err(),
            ApiError::BadRequest {
                code: "malformed_json",
                ..
            }
        ));
    }

    #[derive(Debug, Deserialize, Default)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Money {
        amount: Option<String>,
        currency: Option<String>,
    }

    #[derive(Debug, Deserialize, Default)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Create {
        title: Option<String>,
        priority: Option<String>,
        count: Option<i64>,
        money: Option<Money>,
        days: Option<Vec<String>>,
    }

    fn fields(errors: FieldErrors) -> Vec<(String, String)> {
        errors.into_vec().into_iter().map(|e| (e.field, e.message)).collect()
    }

    #[test]
    fn every_field_of_the_wrong_type_is_reported_and_the_rest_is_read() {
        let body = br#"{"title": 5, "priority": "urgent", "count": "x", "money": {"amount": 1.5, "currency": "EUR"}, "days": ["2026-01-01", 7]}"#;
        let (parsed, errors): (Create, _) = parse_body(body).unwrap();
        assert_eq!(parsed.priority.as_deref(), Some("urgent"));
        assert_eq!(parsed.money.unwrap().currency.as_deref(), Some("EUR"));
        assert_eq!(parsed.days.unwrap()[0], "2026-01-01");
        let mut found = fields(errors);
        found.sort();
        assert_eq!(
            found,
            vec![
                ("count".to_owned(), "must be a whole number within range".to_owned()),
                ("days[1]".to_owned(), "must be a string".to_owned()),
                ("money.amount".to_owned(), "must be a string".to_owned()),
                ("title".to_owned(), "must be a string".to_owned()),
            ]
        );
    }

    #[test]
    fn integral_numbers_written_with_a_fraction_are_integers() {
        let (parsed, errors): (Create, _) = parse_body(br#"{"count": 156.0}"#).unwrap();
        assert_eq!(parsed.count, Some(156));
        assert!(errors.is_empty());
        let (parsed, errors): (Create, _) = parse_body(br#"{"count": 1e2}"#).unwrap();
        assert_eq!((parsed.count, errors.is_empty()), (Some(100), true));
        let (parsed, errors): (Create, _) = parse_body(br#"{"count": 1.5}"#).unwrap();
        assert_eq!((parsed.count, errors.into_vec().len()), (None, 1));
    }

    #[test]
    fn unknown_fields_are_named_and_do_not_stop_the_others() {
        let body = br#"{"title": "x", "colour": "red", "money": {"amount": "1", "cents": 3}, "count": true}"#;
        let (parsed, errors): (Create, _) = parse_body(body).unwrap();
        assert_eq!(parsed.title.as_deref(), Some("x"));
        let mut found: Vec<String> = fields(errors).into_iter().map(|(f, _)| f).collect();
        found.sort();
        assert_eq!(found, vec!["colour", "count", "money.cents"]);
    }

    #[test]
    fn nul_characters_are_refused_wherever_they_are() {
        let body = br#"{"title": "a\u0000b", "days": ["\u0000"], "money": {"currency": "E\u0000"}}"#;
        let (parsed, errors): (Create, _) = parse_body(body).unwrap();
        assert!(parsed.title.is_none());
        let mut found: Vec<String> = fields(errors).into_iter().map(|(f, _)| f).collect();
        found.sort();
        assert_eq!(found, vec!["days[0]", "money.currency", "title"]);
    }

    #[test]
    fn bodies_that_are_not_objects_or_not_json_are_refused_plainly() {
        let not_json = parse_body::<Create>(b"{\"title\": ").unwrap_err();
        assert!(matches!(
            not_json,
            ApiError::BadRequest {
                code: "malformed_json",
                ..
            }
        ));
        assert!(matches!(
            parse_body::<Create>(b"[1]").unwrap_err(),
            ApiError::Validation(_)
        ));
        assert!(matches!(
            parse_body::<Create>(b"\"x\"").unwrap_err(),
            ApiError::Validation(_)
        ));
    }

    #[test]
    fn a_whole_object_of_the_wrong_type_is_one_error() {
        let (parsed, errors): (Create, _) = parse_body(br#"{"money": "lots", "days": {"a": 1}}"#).unwrap();
        assert!(parsed.money.is_none());
        let mut found = fields(errors);
        found.sort();
        assert_eq!(
            found,
            vec![
                ("days".to_owned(), "must be a list".to_owned()),
                ("money".to_owned(), "must be an object".to_owned()),
            ]
        );
    }
}
