//! The catalogue of event types: each module lists the events it emits
//! (`EVENT_TYPES` in its `events` module) with a JSON Schema of their `data`,
//! generated from the Rust type that is serialized, so the documentation
//! cannot drift from the payloads.

use serde_json::{Map, Value};
use utoipa::ToSchema;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::Schema;

/// The JSON Schema dialect of every generated schema (OpenAPI 3.1 uses it too).
pub const JSON_SCHEMA_DIALECT: &str = "https://json-schema.org/draft/2020-12/schema";

/// Where utoipa points references to component schemas.
const COMPONENTS_PREFIX: &str = "#/components/schemas/";

/// One event type a module emits: its name, owner, meaning and the JSON Schema of its `data`.
#[derive(Clone, Copy, Debug)]
pub struct EventType {
    /// `<noun>.<past-tense verb>`, e.g. `org.created`.
    pub name: &'static str,
    /// The module that emits it, e.g. `orgs`.
    pub module: &'static str,
    /// One sentence: when it is emitted.
    pub description: &'static str,
    /// The JSON Schema of the event's `data` (see [`schema_of`]).
    pub schema: fn() -> Value,
}

/// The JSON Schema (2020-12, self-contained: referenced component schemas are inlined under `$defs` and refs rewritten to `#/$defs/Name`) of `T`'s serialized form.
pub fn schema_of<T: ToSchema>() -> Value {
    let mut deps = Vec::new();
    T::schemas(&mut deps);
    let mut defs = Map::new();
    for (name, schema) in deps {
        // A type reached along two paths is collected twice; both copies are the same.
        defs.entry(name).or_insert_with(|| to_json(schema));
    }
    defs.values_mut().for_each(rewrite_refs);
    let mut body = to_json(T::schema());
    rewrite_refs(&mut body);

    let mut out = Map::new();
    out.insert("$schema".into(), JSON_SCHEMA_DIALECT.into());
    out.insert("title".into(), T::name().into_owned().into());
    match body {
        Value::Object(fields) => out.extend(fields),
        // utoipa serializes every schema as an object; anything else is kept, not lost.
        other => {
            out.insert("allOf".into(), Value::Array(vec![other]));
        }
    }
    if !defs.is_empty() {
        out.insert("$defs".into(), Value::Object(defs));
    }
    Value::Object(out)
}

fn to_json(schema: RefOr<Schema>) -> Value {
    // Serializing utoipa's schema types cannot fail: they hold only strings, numbers and maps.
    serde_json::to_value(schema).unwrap_or(Value::Null)
}

/// Points every `#/components/schemas/X` reference at `#/$defs/X`.
fn rewrite_refs(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                if key == "$ref"
                    && let Value::String(target) = v
                    && let Some(name) = target.strip_prefix(COMPONENTS_PREFIX)
                {
                    *target = format!("#/$defs/{name}");
                } else {
                    rewrite_refs(v);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(rewrite_refs),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde::Serialize;
    use serde_json::json;

    use super::*;
    use crate::ids::UserId;

    /// Where a parcel goes.
    #[derive(Serialize, ToSchema)]
    #[serde(rename_all = "camelCase")]
    struct Address {
        /// The street line.
        street: String,
        post_code: Option<String>,
    }

    /// A parcel was shipped.
    #[derive(Serialize, ToSchema)]
    #[serde(rename_all = "camelCase")]
    struct Shipped {
        owner_id: UserId,
        weight_grams: u32,
        /// Only for parcels with a tracking number.
        tracking: Option<String>,
        to: Address,
    }

    fn validator() -> jsonschema::Validator {
        jsonschema::draft202012::new(&schema_of::<Shipped>()).expect("the generated schema compiles")
    }

    #[test]
    fn nested_types_land_in_defs_and_refs_point_there() {
        let schema = schema_of::<Shipped>();

        assert_eq!(schema["$schema"], JSON_SCHEMA_DIALECT);
        assert_eq!(schema["title"], "Shipped");
        assert_eq!(schema["type"], "object");
        assert_eq!(schema["properties"]["to"]["$ref"], "#/$defs/Address");
        assert_eq!(schema["properties"]["ownerId"]["$ref"], "#/$defs/UserId");
        assert_eq!(schema["$defs"]["Address"]["type"], "object");
        assert_eq!(schema["$defs"]["UserId"]["format"], "uuid");
        assert_eq!(schema["$defs"]["Address"]["properties"]["street"]["description"], "The street line.");
        assert!(!schema.to_string().contains("#/components/"), "{schema}");
        let required = schema["required"].as_array().expect("required list");
        assert!(!required.contains(&json!("tracking")), "an Option field is optional: {schema}");
    }

    #[test]
    fn serialized_values_validate_and_bad_ones_do_not() {
        let v = validator();
        let address = Address { street: "1 Main St".into(), post_code: None };
        let full = Shipped { owner_id: UserId::new(), weight_grams: 1200, tracking: Some("X1".into()), to: address };
        let address = Address { street: "2 Side St".into(), post_code: Some("1000".into()) };
        let bare = Shipped { owner_id: UserId::new(), weight_grams: 5, tracking: None, to: address };

        for good in [serde_json::to_value(&full).unwrap(), serde_json::to_value(&bare).unwrap()] {
            let errors: Vec<String> = v.iter_errors(&good).map(|e| e.to_string()).collect();
            assert!(errors.is_empty(), "{good} should validate: {errors:?}");
        }
        let mut no_street = serde_json::to_value(&full).unwrap();
        no_street["to"].as_object_mut().unwrap().remove("street");
        let mut bad_weight = serde_json::to_value(&full).unwrap();
        bad_weight["weightGrams"] = json!("heavy");
        let mut bad_id = serde_json::to_value(&full).unwrap();
        bad_id["ownerId"] = json!(42);
        for bad in [no_street, bad_weight, bad_id, json!([]), json!({"ownerId": UserId::new()})] {
            assert!(!v.is_valid(&bad), "{bad} should not validate");
        }
    }
}

/// Checks every module runs on its catalogue in its unit tests (feature `testing`).
#[cfg(feature = "testing")]
#[allow(clippy::unwrap_used, clippy::panic)]
pub mod testing {
    use super::EventType;

    /// Fails unless each name of `all` is catalogued exactly once in `types`, nothing
    /// else is, every entry belongs to `module`, and each schema is an object schema.
    pub fn assert_catalogued(module: &str, all: &[&str], types: &[EventType]) {
        for name in all {
            assert_eq!(types.iter().filter(|t| t.name == *name).count(), 1, "{name}");
        }
        for t in types {
            assert!(all.contains(&t.name), "{} is not in ALL", t.name);
            assert_eq!(t.module, module);
            let schema = (t.schema)();
            assert_eq!(schema["type"], "object", "{}: {schema}", t.name);
            assert!(schema["properties"].is_object(), "{}: {schema}", t.name);
        }
    }

    /// Fails unless `data`, serialized as it is emitted, validates against the catalogued schema of `name`.
    pub fn assert_matches_schema(types: &[EventType], name: &str, data: impl serde::Serialize) {
        let entry = types.iter().find(|t| t.name == name).unwrap();
        let validator = jsonschema::draft202012::new(&(entry.schema)()).unwrap();
        let data = serde_json::to_value(data).unwrap();
        let errors: Vec<String> = validator.iter_errors(&data).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{name}: {data} does not match its schema: {errors:?}");
    }
}
