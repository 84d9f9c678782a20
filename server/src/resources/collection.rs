//! One state of a resource: its items in insertion order, keyed by id,
//! each kept with its JSON text (so that a list answer is the items' text
//! joined, never serialised again), within the caps.

use super::{Budget, Full};
use bytes::Bytes;
use serde_json::{Map, Value};
use std::{
    collections::{BTreeMap, HashMap},
    sync::Arc,
};

/// One item as stored.
#[derive(Debug)]
pub(crate) struct Item {
    /// Its id as text (a number's id is its decimal text).
    pub id: Arc<str>,
    /// The item, a JSON object.
    pub value: Map<String, Value>,
    /// Its JSON text: what answers send and what the byte caps count.
    pub json: Bytes,
    /// Whether it is the seed's (shared with the seed, not counted in the
    /// total of written bytes).
    seeded: bool,
}

impl Item {
    /// An item of `value`, an object whose id is `id`.
    pub fn new(id: Arc<str>, value: Map<String, Value>) -> Item {
        let json = Bytes::from(Value::Object(value.clone()).to_string());
        Item {
            id,
            value,
            json,
            seeded: false,
        }
    }

    /// Bytes counted against the caps.
    pub fn bytes(&self) -> usize {
        self.json.len()
    }

    /// Bytes counted against the total of written bytes.
    fn own_bytes(&self) -> usize {
        if self.seeded { 0 } else { self.bytes() }
    }
}

/// Why a write was refused; the state is unchanged.
#[derive(Debug)]
pub(crate) enum WriteError {
    /// No item has that id.
    NotFound(Arc<str>),
    /// An item already has that id.
    Duplicate(Arc<str>),
    /// A cap would be passed.
    Full(Full),
}

/// The items of one state.
#[derive(Debug, Clone, Default)]
pub(crate) struct Collection {
    /// By insertion number: the order lists answer in.
    items: BTreeMap<u64, Arc<Item>>,
    /// Insertion number by id.
    ids: HashMap<Arc<str>, u64>,
    next: u64,
    /// The JSON bytes of all items.
    bytes: usize,
    /// The JSON bytes of the items not from the seed.
    own: usize,
}

impl Collection {
    /// A seed of `items` (ids unique; the caller checked the caps).
    pub fn seed(items: Vec<Item>) -> Collection {
        let mut c = Collection::default();
        for mut item in items {
            item.seeded = true;
            c.put_new(Arc::new(item));
        }
        c
    }

    /// How many items.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// The JSON bytes of all items.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// The JSON bytes of the items written (not the seed's).
    pub fn own_bytes(&self) -> usize {
        self.own
    }

    /// The item with `id`.
    pub fn get(&self, id: &str) -> Option<&Arc<Item>> {
        self.ids.get(id).and_then(|n| self.items.get(n))
    }

    /// Every item, in order.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<Item>> {
        self.items.values()
    }

    /// Adds `item`, last.
    pub fn insert(&mut self, item: Item, budget: &Budget) -> Result<Arc<Item>, WriteError> {
        if self.ids.contains_key(&item.id) {
            return Err(WriteError::Duplicate(item.id));
        }
        budget
            .check(self.len() + 1, self.bytes + item.bytes())
            .map_err(WriteError::Full)?;
        budget.reserve(item.own_bytes()).map_err(WriteError::Full)?;
        let item = Arc::new(item);
        self.put_new(item.clone());
        Ok(item)
    }

    /// Replaces the item of the same id, in its place.
    pub fn replace(&mut self, item: Item, budget: &Budget) -> Result<Arc<Item>, WriteError> {
        let Some(&n) = self.ids.get(&item.id) else {
            return Err(WriteError::NotFound(item.id));
        };
        let Some(old) = self.items.get(&n).cloned() else {
            return Err(WriteError::NotFound(item.id));
        };
        budget
            .check(self.len(), self.bytes - old.bytes() + item.bytes())
            .map_err(WriteError::Full)?;
        budget.reserve(item.own_bytes()).map_err(WriteError::Full)?;
        budget.release(old.own_bytes());
        self.bytes = self.bytes - old.bytes() + item.bytes();
        self.own = self.own - old.own_bytes() + item.own_bytes();
        let item = Arc::new(item);
        self.items.insert(n, item.clone());
        Ok(item)
    }

    /// Removes the item with `id`.
    pub fn remove(&mut self, id: &str, budget: &Budget) -> Result<Arc<Item>, WriteError> {
        let n = self
            .ids
            .remove(id)
            .ok_or_else(|| WriteError::NotFound(Arc::from(id)))?;
        let item = self
            .items
            .remove(&n)
            .ok_or_else(|| WriteError::NotFound(Arc::from(id)))?;
        self.bytes -= item.bytes();
        self.own -= item.own_bytes();
        budget.release(item.own_bytes());
        Ok(item)
    }

    /// Every item replaced by `items` (ids unique: the caller checked).
    pub fn replace_all(&mut self, items: Vec<Item>, budget: &Budget) -> Result<(), WriteError> {
        let bytes: usize = items.iter().map(Item::bytes).sum();
        budget.check(items.len(), bytes).map_err(WriteError::Full)?;
        let own: usize = items.iter().map(Item::own_bytes).sum();
        budget.reserve(own).map_err(WriteError::Full)?;
        self.clear(budget);
        for item in items {
            self.put_new(Arc::new(item));
        }
        Ok(())
    }

    /// Every item gone; how many there were.
    pub fn clear(&mut self, budget: &Budget) -> usize {
        let n = self.len();
        budget.release(self.own);
        *self = Collection {
            next: self.next,
            ..Collection::default()
        };
        n
    }

    /// The items whose top-level fields equal the filters' values (all of
    /// them), as text: strings as they are, numbers and booleans as
    /// written in JSON, `null` as `null`.
    pub fn matching<'a>(
        &'a self,
        filters: &'a [(String, String)],
    ) -> impl Iterator<Item = &'a Arc<Item>> + 'a {
        self.iter().filter(move |item| {
            filters
                .iter()
                .all(|(field, wanted)| item.value.get(field).is_some_and(|v| same_text(v, wanted)))
        })
    }

    fn put_new(&mut self, item: Arc<Item>) {
        let n = self.next;
        self.next += 1;
        self.bytes += item.bytes();
        self.own += item.own_bytes();
        self.ids.insert(item.id.clone(), n);
        self.items.insert(n, item);
    }
}

/// Whether `value` reads as `text` in a query.
fn same_text(value: &Value, text: &str) -> bool {
    match value {
        Value::String(s) => s == text,
        Value::Number(n) => n.to_string() == text,
        Value::Bool(b) => text == if *b { "true" } else { "false" },
        Value::Null => text == "null",
        Value::Array(_) | Value::Object(_) => false,
    }
}

/// The id of `value` in `field` as text: a string, or a number's decimal
/// text; `None` when it is missing or of another kind.
pub(crate) fn id_of(value: &Map<String, Value>, field: &str) -> Option<Result<Arc<str>, String>> {
    match value.get(field)? {
        Value::String(s) if s.is_empty() => Some(Err(format!("{field:?} is empty"))),
        Value::String(s) => Some(Ok(Arc::from(s.as_str()))),
        Value::Number(n) => Some(Ok(Arc::from(n.to_string()))),
        other => Some(Err(format!(
            "{field:?} must be a string or a number, found {other}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::Limits;
    use serde_json::json;
    use std::sync::atomic::AtomicUsize;

    fn item(v: Value) -> Item {
        let map = v.as_object().cloned().unwrap_or_default();
        let id = id_of(&map, "id")
            .and_then(Result::ok)
            .unwrap_or_else(|| Arc::from(""));
        Item::new(id, map)
    }

    #[test]
    fn items_keep_their_insertion_order_and_a_replaced_one_its_place() {
        let total = AtomicUsize::new(0);
        let limits = Limits::default();
        let budget = Budget::new(&limits, &total);
        let mut c = Collection::default();
        for id in ["b", "a", "c"] {
            c.insert(item(json!({"id": id})), &budget)
                .expect("inserted");
        }
        c.replace(item(json!({"id": "a", "x": 1})), &budget)
            .expect("replaced");
        let ids: Vec<&str> = c.iter().map(|i| &*i.id).collect();
        assert_eq!(ids, ["b", "a", "c"]);
        c.remove("b", &budget).expect("removed");
        assert_eq!(c.len(), 2);
        assert_eq!(
            total.load(std::sync::atomic::Ordering::Relaxed),
            c.own_bytes()
        );
    }

    #[test]
    fn filters_compare_numbers_and_booleans_by_their_text() {
        let mut c = Collection::default();
        let total = AtomicUsize::new(0);
        let limits = Limits::default();
        let budget = Budget::new(&limits, &total);
        c.insert(item(json!({"id": 1, "n": 2, "ok": true})), &budget)
            .expect("inserted");
        c.insert(item(json!({"id": 2, "n": 3, "ok": false})), &budget)
            .expect("inserted");
        let f = |k: &str, v: &str| vec![(k.to_owned(), v.to_owned())];
        assert_eq!(c.matching(&f("n", "2")).count(), 1);
        assert_eq!(c.matching(&f("ok", "false")).count(), 1);
        assert_eq!(c.matching(&f("missing", "x")).count(), 0);
    }
}
