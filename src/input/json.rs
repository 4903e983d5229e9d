//! JSON read strictly: a key given twice in one object is refused, naming where, instead
//! of the last one silently winning (serde_json's `Value` keeps the last).

use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

/// Parses `text` as JSON, refusing duplicate keys; the error is serde_json's, with the
/// line and column where it was found.
pub fn parse(text: &str) -> Result<Value, serde_json::Error> {
    let mut reader = serde_json::Deserializer::from_str(text);
    let value = Strict {
        path: String::new(),
    }
    .deserialize(&mut reader)?;
    reader.end()?;
    Ok(value)
}

struct Strict {
    /// Where the value sits, as the ipam_config checks name it (`rules[1].pools`).
    path: String,
}

impl Strict {
    fn child(&self, step: &str) -> Strict {
        let path = match (self.path.is_empty(), step.starts_with('[')) {
            (true, _) | (_, true) => format!("{}{step}", self.path),
            (false, false) => format!("{}.{step}", self.path),
        };
        Strict { path }
    }
}

impl<'de> DeserializeSeed<'de> for Strict {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Strict {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(v.into())
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(v.into())
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(self.child(&format!("[{}]", items.len())))? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if object.contains_key(&key) {
                let place = if self.path.is_empty() {
                    "at the top level".to_owned()
                } else {
                    format!("in {}", self.path)
                };
                return Err(de::Error::custom(format!(
                    "key {} appears twice {place} (which one was meant?)",
                    crate::engine::text::quote(&key)
                )));
            }
            let value = map.next_value_seed(self.child(&key))?;
            object.insert(key, value);
        }
        Ok(Value::Object(object))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_given_twice_is_refused_naming_where() {
        let why = parse(r#"{"mode": "full", "mode": "disabled"}"#).unwrap_err();
        assert!(
            why.to_string()
                .contains("key \"mode\" appears twice at the top level"),
            "{why}"
        );
        let text = r#"{"mode": "full", "rules": [{"kind": "a"}, {"pools": [{"x": 1, "x": 2}]}]}"#;
        let why = parse(text).unwrap_err();
        assert!(
            why.to_string()
                .contains("appears twice in rules[1].pools[0]"),
            "{why}"
        );
    }

    #[test]
    fn documents_read_as_serde_json_reads_them() {
        let text = r#"{"a": [1, -2, 2.5, "x", null, true, {"b": {}}], "c": 18446744073709551615}"#;
        assert_eq!(
            parse(text).unwrap(),
            serde_json::from_str::<Value>(text).unwrap()
        );
        assert!(parse("{} x").is_err());
    }
}
