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

/// Items shared between states: a seed, or what an admin `PUT` stored.
/// Never changed once made; states record their changes next to it.
#[derive(Debug, Default)]
struct Layer {
    items: Vec<Arc<Item>>,
    ids: HashMap<Arc<str>, usize>,
}

impl Layer {
    fn of(items: Vec<Arc<Item>>) -> Layer {
        let ids = items
            .iter()
            .enumerate()
            .map(|(i, item)| (item.id.clone(), i))
            .collect();
        Layer { items, ids }
    }
}

impl std::fmt::Display for WriteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WriteError::NotFound(id) => write!(f, "no item with id {id:?}"),
            WriteError::Duplicate(id) => write!(f, "an item with id {id:?} already exists"),
            WriteError::Full(full) => f.write_str(&full.message),
        }
    }
}

/// The items of one state: a shared layer (the seed) and this state's
/// changes to it, so that copying a state (a scope's first write) copies
/// no item and no index — a scope costs what it writes.
#[derive(Debug, Clone, Default)]
pub(crate) struct Collection {
    /// The shared items.
    base: Arc<Layer>,
    /// Items of the layer replaced (`Some`) or removed (`None`).
    changed: HashMap<Arc<str>, Option<Arc<Item>>>,
    /// Items added, by insertion number: after the layer's, in order.
    added: BTreeMap<u64, Arc<Item>>,
    /// Insertion number of each added item, by id.
    added_ids: HashMap<Arc<str>, u64>,
    next: u64,
    len: usize,
    /// The JSON bytes of all items.
    bytes: usize,
    /// The JSON bytes of the items not from the seed.
    own: usize,
}

impl Collection {
    /// A seed of `items` (ids unique; the caller checked the caps).
    pub fn seed(items: Vec<Item>) -> Collection {
        let items = items
            .into_iter()
            .map(|mut item| {
                item.seeded = true;
                Arc::new(item)
            })
            .collect();
        Collection::of_layer(items)
    }

    fn of_layer(items: Vec<Arc<Item>>) -> Collection {
        let bytes = items.iter().map(|i| i.bytes()).sum();
        let own = items.iter().map(|i| i.own_bytes()).sum();
        Collection {
            len: items.len(),
            bytes,
            own,
            base: Arc::new(Layer::of(items)),
            ..Collection::default()
        }
    }

    /// How many items.
    pub fn len(&self) -> usize {
        self.len
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
        if let Some(n) = self.added_ids.get(id) {
            return self.added.get(n);
        }
        match self.changed.get(id) {
            Some(changed) => changed.as_ref(),
            None => self.base.ids.get(id).and_then(|i| self.base.items.get(*i)),
        }
    }

    /// Every item, in order: the layer's (as changed), then those added.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<Item>> {
        let unchanged = self.changed.is_empty();
        self.base
            .items
            .iter()
            .filter_map(move |item| {
                if unchanged {
                    return Some(item);
                }
                match self.changed.get(&item.id) {
                    Some(changed) => changed.as_ref(),
                    None => Some(item),
                }
            })
            .chain(self.added.values())
    }

    /// Adds `item`, last.
    pub fn insert(&mut self, item: Item, budget: &Budget) -> Result<Arc<Item>, WriteError> {
        if self.get(&item.id).is_some() {
            return Err(WriteError::Duplicate(item.id));
        }
        budget
            .check(self.len + 1, self.bytes + item.bytes())
            .map_err(WriteError::Full)?;
        budget.reserve(item.own_bytes()).map_err(WriteError::Full)?;
        let item = Arc::new(item);
        let n = self.next;
        self.next += 1;
        self.added_ids.insert(item.id.clone(), n);
        self.added.insert(n, item.clone());
        self.counted(None, Some(&item));
        Ok(item)
    }

    /// Replaces the item of the same id, in its place.
    pub fn replace(&mut self, item: Item, budget: &Budget) -> Result<Arc<Item>, WriteError> {
        let Some(old) = self.get(&item.id).cloned() else {
            return Err(WriteError::NotFound(item.id));
        };
        budget
            .check(self.len, self.bytes - old.bytes() + item.bytes())
            .map_err(WriteError::Full)?;
        budget
            .change(old.own_bytes(), item.own_bytes())
            .map_err(WriteError::Full)?;
        let item = Arc::new(item);
        match self.added_ids.get(&item.id) {
            Some(n) => {
                self.added.insert(*n, item.clone());
            }
            None => {
                self.changed.insert(item.id.clone(), Some(item.clone()));
            }
        }
        self.counted(Some(&old), Some(&item));
        Ok(item)
    }

    /// Removes the item with `id`.
    pub fn remove(&mut self, id: &str, budget: &Budget) -> Result<Arc<Item>, WriteError> {
        let Some(old) = self.get(id).cloned() else {
            return Err(WriteError::NotFound(Arc::from(id)));
        };
        match self.added_ids.remove(id) {
            Some(n) => {
                self.added.remove(&n);
            }
            None => {
                self.changed.insert(old.id.clone(), None);
            }
        }
        budget.release(old.own_bytes());
        self.counted(Some(&old), None);
        Ok(old)
    }

    /// Every item replaced by `items` (ids unique: the caller checked).
    pub fn replace_all(&mut self, items: Vec<Item>, budget: &Budget) -> Result<(), WriteError> {
        let bytes: usize = items.iter().map(Item::bytes).sum();
        budget.check(items.len(), bytes).map_err(WriteError::Full)?;
        let own: usize = items.iter().map(Item::own_bytes).sum();
        budget.change(self.own, own).map_err(WriteError::Full)?;
        *self = Collection::of_layer(items.into_iter().map(Arc::new).collect());
        Ok(())
    }

    /// Every item gone; how many there were.
    pub fn clear(&mut self, budget: &Budget) -> usize {
        let n = self.len;
        budget.release(self.own);
        *self = Collection::default();
        n
    }

    /// Counts `new` in and `old` out.
    fn counted(&mut self, old: Option<&Item>, new: Option<&Item>) {
        if let Some(old) = old {
            self.len -= 1;
            self.bytes -= old.bytes();
            self.own -= old.own_bytes();
        }
        if let Some(new) = new {
            self.len += 1;
            self.bytes += new.bytes();
            self.own += new.own_bytes();
        }
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
        c.clear(&budget);
        assert_eq!(total.load(std::sync::atomic::Ordering::Relaxed), 0);
    }

    #[test]
    fn a_copy_of_a_seed_shares_its_items_and_keeps_its_own_changes() {
        let total = AtomicUsize::new(0);
        let limits = Limits::default();
        let budget = Budget::new(&limits, &total);
        let seed = Collection::seed(vec![item(json!({"id": "1"})), item(json!({"id": "2"}))]);
        let mut mine = seed.clone();
        assert!(Arc::ptr_eq(&seed.base, &mine.base));
        mine.replace(item(json!({"id": "1", "x": 1})), &budget)
            .expect("replaced");
        mine.remove("2", &budget).expect("removed");
        mine.insert(item(json!({"id": "2", "again": true})), &budget)
            .expect("added again, last");
        mine.insert(item(json!({"id": "3"})), &budget)
            .expect("added");
        let ids: Vec<&str> = mine.iter().map(|i| &*i.id).collect();
        assert_eq!(ids, ["1", "2", "3"]);
        assert_eq!(mine.get("1").map(|i| i.value.contains_key("x")), Some(true));
        assert_eq!(
            mine.get("2").map(|i| i.value.contains_key("again")),
            Some(true)
        );
        assert_eq!(mine.len(), 3);
        assert_eq!(seed.iter().count(), 2);
        assert!(seed.get("1").is_some_and(|i| !i.value.contains_key("x")));
        assert_eq!(
            total.load(std::sync::atomic::Ordering::Relaxed),
            mine.own_bytes()
        );
        assert_eq!(mine.bytes(), mine.iter().map(|i| i.bytes()).sum::<usize>());
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
