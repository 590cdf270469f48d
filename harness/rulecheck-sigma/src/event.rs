//! The event a rule is evaluated against: a JSON object with field names at
//! the top level, nested objects reachable by dotted path (`a.b.c`), and an
//! optional `_raw` text for keyword searches.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use serde_json::{Map, Value};

/// One event.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    fields: Map<String, Value>,
}

/// Why a JSON value is not an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotAnObject {
    /// The JSON type that was given instead.
    pub found: &'static str,
}

impl std::fmt::Display for NotAnObject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "an event must be a JSON object, not {}", self.found)
    }
}

impl std::error::Error for NotAnObject {}

impl Event {
    /// The event of a JSON object.
    pub fn from_json(value: Value) -> Result<Event, NotAnObject> {
        match value {
            Value::Object(fields) => Ok(Event { fields }),
            other => Err(NotAnObject {
                found: json_type(&other),
            }),
        }
    }

    /// The event of a JSON object's fields.
    pub fn from_map(fields: Map<String, Value>) -> Event {
        Event { fields }
    }

    /// The top-level fields.
    pub fn fields(&self) -> &Map<String, Value> {
        &self.fields
    }

    /// The value at `path`: a top-level key, or a dotted path into nested
    /// objects (`process.parent.name`).
    pub fn get(&self, path: &str) -> Option<&Value> {
        if let Some(v) = self.fields.get(path) {
            return Some(v);
        }
        if !path.contains('.') {
            return None;
        }
        let mut parts = path.split('.');
        let mut value = self.fields.get(parts.next()?)?;
        for part in parts {
            value = value.as_object()?.get(part)?;
        }
        Some(value)
    }

    /// The `_raw` text, if the event has one.
    pub fn raw(&self) -> Option<&str> {
        self.fields.get("_raw").and_then(Value::as_str)
    }

    /// Into the JSON object.
    pub fn into_json(self) -> Value {
        Value::Object(self.fields)
    }
}

pub(crate) fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The FxHash function (rustc's): a multiply-rotate per word, far cheaper
/// than SipHash for the short field names looked up for every key of every
/// event. The table only holds rule field names, so event keys cannot make
/// it degrade.
#[derive(Debug, Default, Clone, Copy)]
struct FxHasher {
    hash: u64,
}

const FX_SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(FX_SEED);
    }
}

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(w));
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    fn finish(&self) -> u64 {
        self.hash
    }
}

/// Field names interned to dense ids, shared by every rule of a set.
#[derive(Debug, Clone, Default)]
pub struct FieldTable {
    names: Vec<String>,
    ids: HashMap<String, u32, BuildHasherDefault<FxHasher>>,
    nested: bool,
}

impl FieldTable {
    /// The id of `name`, adding it if new.
    pub fn intern(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.ids.get(name) {
            return id;
        }
        let id = self.names.len() as u32;
        self.names.push(name.to_owned());
        self.ids.insert(name.to_owned(), id);
        if name.contains('.') {
            self.nested = true;
        }
        id
    }

    /// The name of `id`.
    pub fn name(&self, id: u32) -> &str {
        self.names.get(id as usize).map_or("", String::as_str)
    }

    /// How many fields.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

/// Looks an event's values up once for every field of a [`FieldTable`],
/// reusing its buffers from event to event.
#[derive(Debug, Default)]
pub struct Resolver {
    spare: Vec<usize>,
    path: String,
}

/// The values of the table's fields in one event.
#[derive(Debug)]
pub struct Resolved<'e> {
    pub(crate) slots: Vec<Option<&'e Value>>,
    pub(crate) event: &'e Event,
}

impl Resolved<'_> {
    /// The value of field `id` of the table, if the event has it.
    pub fn get(&self, id: u32) -> Option<&Value> {
        self.slots.get(id as usize).copied().flatten()
    }
}

impl Resolver {
    /// Resolve `event` against `table`.
    pub fn resolve<'e>(&mut self, table: &FieldTable, event: &'e Event) -> Resolved<'e> {
        let mut spare = std::mem::take(&mut self.spare);
        spare.clear();
        // Same element layout and no elements: the allocation is reused.
        let mut slots: Vec<Option<&'e Value>> = spare.into_iter().map(|_| None).collect();
        slots.resize(table.names.len(), None);
        for (key, value) in &event.fields {
            if let Some(&id) = table.ids.get(key.as_str()) {
                slots[id as usize] = Some(value);
            }
            if table.nested
                && let Value::Object(inner) = value
            {
                self.path.clear();
                self.path.push_str(key);
                walk(table, inner, &mut self.path, &mut slots, 0);
            }
        }
        Resolved { slots, event }
    }

    /// Give a resolved event's buffer back for the next event.
    pub fn recycle(&mut self, resolved: Resolved<'_>) {
        let mut slots = resolved.slots;
        slots.clear();
        self.spare = slots.into_iter().map(|_| 0).collect();
    }
}

fn walk<'e>(
    table: &FieldTable,
    obj: &'e Map<String, Value>,
    path: &mut String,
    slots: &mut [Option<&'e Value>],
    depth: usize,
) {
    if depth > 32 {
        return;
    }
    let len = path.len();
    for (key, value) in obj {
        path.truncate(len);
        path.push('.');
        path.push_str(key);
        if let Some(&id) = table.ids.get(path.as_str())
            && slots[id as usize].is_none()
        {
            slots[id as usize] = Some(value);
        }
        if let Value::Object(inner) = value {
            walk(table, inner, path, slots, depth + 1);
        }
    }
    path.truncate(len);
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn dotted_paths_and_top_level_keys() {
        let e = Event::from_json(json!({"a": {"b": {"c": 1}}, "x.y": 2}));
        let e = e.unwrap_or_else(|err| panic!("{err}"));
        assert_eq!(e.get("a.b.c"), Some(&json!(1)));
        assert_eq!(e.get("x.y"), Some(&json!(2)));
        assert_eq!(e.get("a.z"), None);
        assert!(Event::from_json(json!([1])).is_err());
    }

    #[test]
    fn resolver_fills_slots_and_recycles() {
        let mut table = FieldTable::default();
        let image = table.intern("Image");
        let nested = table.intern("process.name");
        let missing = table.intern("Missing");
        let mut resolver = Resolver::default();
        let e1 = Event::from_json(json!({"Image": "a", "process": {"name": "b"}}))
            .unwrap_or_else(|err| panic!("{err}"));
        let r = resolver.resolve(&table, &e1);
        assert_eq!(r.slots[image as usize], Some(&json!("a")));
        assert_eq!(r.slots[nested as usize], Some(&json!("b")));
        assert_eq!(r.slots[missing as usize], None);
        let e2 = Event::from_json(json!({"Missing": 1})).unwrap_or_else(|err| panic!("{err}"));
        resolver.recycle(r);
        let r = resolver.resolve(&table, &e2);
        assert_eq!(r.slots[image as usize], None);
        assert_eq!(r.slots[missing as usize], Some(&json!(1)));
    }
}
