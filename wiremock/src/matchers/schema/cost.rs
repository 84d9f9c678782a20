//! An upper bound of the work of validating a value against a schema,
//! worked out once per schema, so that no request can make a schema
//! validation run for long or recurse deep enough to overflow the stack.
//!
//! A validator applies subschemas to the value: in place (`allOf`,
//! `anyOf`, `oneOf`, `not`, `if`/`then`/`else`, `dependentSchemas`,
//! `$ref`…) and to its members or items (`properties`, `items`…). `$ref`s
//! make the schema a graph, and paths through it multiply: two `allOf`
//! branches that both go into `items` and back to the root apply the root
//! 2^d times at depth d. This module counts, for each depth of the value
//! (at most [`MAX_DEPTH`]: serde_json's nesting limit), how many
//! subschema applications one value at that depth can cost at most, and
//! how deep the validator's calls can nest to reach it. A request whose
//! value adds up to more than [`MAX_APPLICATIONS`] (plus
//! [`APPLICATIONS_PER_VALUE`] for each value in it), or nests calls deeper
//! than [`MAX_NESTING`], is not validated (it does not match); a schema
//! whose `$ref`s loop without going into the value (which never ends), or
//! whose least value already costs too much, is refused.
//!
//! The count errs on the high side: a `$ref` goes to every place it might
//! resolve to (a pointer from the enclosing resource and from the
//! document, an anchor to every subschema declaring it, a URL to every
//! embedded resource whose `$id` it may name; the drafts' metaschemas are
//! not counted), and a member is counted as if every distinct `properties`
//! entry applied to it.

use serde_json::Value;
use std::collections::HashMap;

/// The most subschema applications one validation may make, besides
/// [`APPLICATIONS_PER_VALUE`] for each value in the request's JSON.
pub const MAX_APPLICATIONS: f64 = 1_000_000.0;

/// The applications allowed for each value in the request's JSON on top of
/// [`MAX_APPLICATIONS`]: a large body against an ordinary schema costs in
/// proportion to its size, as with the other body matchers; only a schema
/// whose work multiplies with depth goes past.
pub const APPLICATIONS_PER_VALUE: f64 = 16.0;

/// The deepest the validator's calls may nest: each takes up to about a
/// kilobyte of stack in a debug build (less in a release one), so this
/// stays well within a 2 MiB thread stack. A value 127 deep against a
/// schema recursing through `anyOf` and `items` nests about 510.
pub const MAX_NESTING: usize = 768;

/// The deepest value serde_json reads (its recursion limit).
const MAX_DEPTH: usize = 128;

/// Counts saturate here rather than overflow into infinities and NaNs.
const CAP: f64 = 1e300;

/// The most passes over the `$ref`s (each pass may find subschemas that
/// the next must see); two are enough but for contrived schemas.
const MAX_PASSES: usize = 8;

/// A schema's cost bounds, by depth of the value.
#[derive(Debug)]
pub struct Cost {
    /// The most subschema applications to one value at each depth.
    applications: Vec<f64>,
    /// The deepest nesting of validator calls that reaches a value at
    /// each depth.
    nesting: Vec<usize>,
    /// Whether the schema applies to values deeper than [`MAX_DEPTH`].
    deeper: bool,
}

impl Cost {
    /// The bounds of `schema`; `Err` when its `$ref`s loop in place or one
    /// value already costs too much.
    pub fn of(schema: &Value) -> Result<Cost, String> {
        let graph = Graph::of(schema)?;
        let order = graph.in_place_order()?;
        let longest = graph.longest_in_place(&order);
        let mut applications = Vec::with_capacity(MAX_DEPTH + 1);
        let mut nesting = Vec::with_capacity(MAX_DEPTH + 1);
        let mut entries = vec![0.0; graph.nodes.len()];
        entries[0] = 1.0;
        for _ in 0..=MAX_DEPTH {
            let deepest = entries
                .iter()
                .zip(&longest)
                .filter(|(n, _)| **n > 0.0)
                .map(|(_, l)| *l)
                .max();
            let Some(deepest) = deepest else { break };
            let above = nesting.last().map_or(0, |n: &usize| n + 1);
            nesting.push(above + deepest);
            let applied = graph.in_place(&order, &entries);
            applications.push(applied.iter().sum::<f64>().min(CAP));
            entries = graph.descend(&applied);
        }
        if applications.first().is_some_and(|a| *a > MAX_APPLICATIONS) {
            return Err(format!(
                "validating one value could apply more than {MAX_APPLICATIONS} subschemas"
            ));
        }
        if nesting.first().is_some_and(|n| *n > MAX_NESTING) {
            return Err(format!("its $refs chain more than {MAX_NESTING} deep"));
        }
        let deeper = entries.iter().any(|n| *n > 0.0);
        Ok(Cost {
            applications,
            nesting,
            deeper,
        })
    }

    /// Whether validating `value` stays within the bounds.
    pub fn affordable(&self, value: &Value) -> bool {
        let mut total = 0.0;
        let mut allowed = MAX_APPLICATIONS;
        let mut deepest = 0;
        let mut stack = vec![(value, 0usize)];
        while let Some((v, depth)) = stack.pop() {
            // Past the deepest level the schema reaches, values cost nothing.
            let Some(cost) = self.applications.get(depth) else {
                if self.deeper {
                    return false;
                }
                continue;
            };
            total += cost;
            allowed += APPLICATIONS_PER_VALUE;
            deepest = deepest.max(depth);
            match v {
                Value::Array(items) => stack.extend(items.iter().map(|i| (i, depth + 1))),
                Value::Object(members) => stack.extend(members.values().map(|m| (m, depth + 1))),
                _ => {}
            }
        }
        total <= allowed && self.nesting.get(deepest).is_some_and(|n| *n <= MAX_NESTING)
    }
}

/// One subschema and where it leads.
struct Node<'a> {
    value: &'a Value,
    /// The node of the nearest enclosing schema resource (with an `$id`).
    resource: usize,
    /// Subschemas applied to the same value (with repeats).
    in_place: Vec<usize>,
    /// Subschemas applied to a member, one at most per member
    /// (`properties` entries, `additionalProperties`).
    member_one_of: Vec<usize>,
    /// Subschemas that may all apply to a member (`patternProperties`,
    /// `unevaluatedProperties`, `propertyNames`).
    member_each: Vec<usize>,
    /// Subschemas applied to an item, one at most per item (`items`,
    /// `prefixItems`, `additionalItems`).
    item_one_of: Vec<usize>,
    /// Subschemas that may all apply to an item (`contains`,
    /// `unevaluatedItems`).
    item_each: Vec<usize>,
}

/// A schema's subschemas as a graph.
struct Graph<'a> {
    nodes: Vec<Node<'a>>,
    known: HashMap<*const Value, usize>,
    /// `(node, is it a $recursiveRef, reference)` of every `$ref`-like
    /// keyword.
    refs: Vec<(usize, bool, &'a str)>,
}

/// Where a subschema goes in its parent's [`Node`].
#[derive(Clone, Copy)]
enum Slot {
    InPlace,
    MemberOneOf,
    MemberEach,
    ItemOneOf,
    ItemEach,
}

fn is_schema(v: &Value) -> bool {
    v.is_object() || v.is_boolean()
}

fn members(v: &Value) -> impl Iterator<Item = &Value> {
    v.as_object().into_iter().flat_map(|o| o.values())
}

fn items(v: &Value) -> impl Iterator<Item = &Value> {
    v.as_array().into_iter().flatten()
}

/// Whether `v` starts a schema resource of its own (`$id`, draft 4's `id`).
fn is_resource(v: &Value) -> bool {
    ["$id", "id"].iter().any(|k| {
        v.get(k)
            .and_then(Value::as_str)
            .is_some_and(|s| !s.starts_with('#'))
    })
}

/// The URLs of the drafts' metaschemas, which the validator has built in.
fn is_metaschema(base: &str) -> bool {
    base.contains("json-schema.org/")
}

impl<'a> Graph<'a> {
    fn of(schema: &'a Value) -> Result<Graph<'a>, String> {
        let mut g = Graph {
            nodes: Vec::new(),
            known: HashMap::new(),
            refs: Vec::new(),
        };
        g.add(schema, 0);
        g.resolve()?;
        Ok(g)
    }

    /// The node of subschema `v` (in the resource of node `resource`),
    /// added with everything under it if new.
    fn add(&mut self, v: &'a Value, resource: usize) -> usize {
        let key: *const Value = v;
        if let Some(&i) = self.known.get(&key) {
            return i;
        }
        let i = self.nodes.len();
        self.known.insert(key, i);
        let resource = if i == 0 || is_resource(v) {
            i
        } else {
            resource
        };
        self.nodes.push(Node {
            value: v,
            resource,
            in_place: Vec::new(),
            member_one_of: Vec::new(),
            member_each: Vec::new(),
            item_one_of: Vec::new(),
            item_each: Vec::new(),
        });
        let Some(obj) = v.as_object() else { return i };
        for (key, child) in obj {
            let (slot, children): (Slot, Vec<&'a Value>) = match key.as_str() {
                "allOf" | "anyOf" | "oneOf" => (Slot::InPlace, items(child).collect()),
                "not" | "if" | "then" | "else" => (Slot::InPlace, vec![child]),
                "dependentSchemas" | "dependencies" => (Slot::InPlace, members(child).collect()),
                "properties" => (Slot::MemberOneOf, members(child).collect()),
                "additionalProperties" => (Slot::MemberOneOf, vec![child]),
                "patternProperties" => (Slot::MemberEach, members(child).collect()),
                "unevaluatedProperties" | "propertyNames" => (Slot::MemberEach, vec![child]),
                "items" if child.is_array() => (Slot::ItemOneOf, items(child).collect()),
                "prefixItems" => (Slot::ItemOneOf, items(child).collect()),
                "items" | "additionalItems" => (Slot::ItemOneOf, vec![child]),
                "contains" | "unevaluatedItems" => (Slot::ItemEach, vec![child]),
                "$defs" | "definitions" => {
                    // Kept for their anchors; applied only through $refs.
                    for d in members(child).filter(|d| is_schema(d)) {
                        self.add(d, resource);
                    }
                    continue;
                }
                "$ref" | "$dynamicRef" | "$recursiveRef" => {
                    if let Some(r) = child.as_str() {
                        self.refs.push((i, key == "$recursiveRef", r));
                    }
                    continue;
                }
                _ => continue,
            };
            for c in children.into_iter().filter(|c| is_schema(c)) {
                let c = self.add(c, resource);
                let node = &mut self.nodes[i];
                match slot {
                    Slot::InPlace => &mut node.in_place,
                    Slot::MemberOneOf => &mut node.member_one_of,
                    Slot::MemberEach => &mut node.member_each,
                    Slot::ItemOneOf => &mut node.item_one_of,
                    Slot::ItemEach => &mut node.item_each,
                }
                .push(c);
            }
        }
        i
    }

    /// Adds the edges of the `$ref`s: a pointer resolved from the enclosing
    /// resource and from the document, an anchor to every node declaring
    /// it, any other URL to every resource whose `$id` it may name.
    fn resolve(&mut self) -> Result<(), String> {
        // Resolving a pointer may add nodes, whose anchors and resources
        // the earlier references must see too: until nothing is added.
        for _ in 0..MAX_PASSES {
            let before = self.nodes.len();
            let index = Index::of(&self.nodes);
            let mut edges = Vec::with_capacity(self.refs.len());
            let mut r = 0;
            while r < self.refs.len() {
                let (from, recursive, reference) = self.refs[r];
                let targets = self.targets(&index, from, recursive, reference);
                edges.push((from, targets));
                r += 1;
            }
            if self.nodes.len() == before {
                for (from, targets) in edges {
                    self.nodes[from].in_place.extend(targets);
                }
                for node in &mut self.nodes {
                    node.member_one_of = dedup(std::mem::take(&mut node.member_one_of));
                    node.item_one_of = dedup(std::mem::take(&mut node.item_one_of));
                }
                return Ok(());
            }
        }
        Err("its $refs lead through too many embedded resources".to_owned())
    }

    fn targets(
        &mut self,
        index: &Index<'a>,
        from: usize,
        recursive: bool,
        reference: &'a str,
    ) -> Vec<usize> {
        let resource = self.nodes[from].resource;
        let mut out = Vec::new();
        if recursive {
            out.extend([0, resource]);
            out.extend(&index.recursive);
        }
        let (base, fragment) = reference.split_once('#').unwrap_or((reference, ""));
        let roots: Vec<usize> = if base.is_empty() {
            vec![resource, 0]
        } else if is_metaschema(base) {
            return dedup(out);
        } else {
            // An embedded resource whose `$id` this URL may resolve to;
            // none: the validator refuses it (nothing is fetched).
            index
                .resources
                .get(last_segment(base))
                .into_iter()
                .flatten()
                .filter(|(_, id)| id.ends_with(base) || base.ends_with(id))
                .map(|(i, _)| *i)
                .collect()
        };
        if fragment.is_empty() {
            out.extend(roots);
        } else if fragment.starts_with('/') {
            let pointer = percent_encoding::percent_decode_str(fragment).decode_utf8_lossy();
            let found: Vec<(&'a Value, usize)> = roots
                .iter()
                .filter_map(|&root| {
                    let n = &self.nodes[root];
                    n.value.pointer(&pointer).map(|v| (v, n.resource))
                })
                .filter(|(v, _)| is_schema(v))
                .collect();
            for (v, res) in found {
                let t = self.add(v, res);
                out.push(t);
            }
        } else {
            out.extend(index.anchors.get(fragment).into_iter().flatten());
        }
        dedup(out)
    }

    /// The nodes in an order where each comes before those it applies in
    /// place; `Err` when the in-place edges loop.
    fn in_place_order(&self) -> Result<Vec<usize>, String> {
        #[derive(Clone, Copy, PartialEq)]
        enum Mark {
            New,
            Open,
            Done,
        }
        let mut mark = vec![Mark::New; self.nodes.len()];
        let mut post = Vec::with_capacity(self.nodes.len());
        for start in 0..self.nodes.len() {
            if mark[start] != Mark::New {
                continue;
            }
            mark[start] = Mark::Open;
            let mut stack = vec![(start, 0usize)];
            while let Some((n, next)) = stack.pop() {
                match self.nodes[n].in_place.get(next) {
                    Some(&c) => {
                        stack.push((n, next + 1));
                        match mark[c] {
                            Mark::Open => {
                                return Err(
                                    "its $refs loop without going into the value, so validation would never end"
                                        .to_owned(),
                                );
                            }
                            Mark::New => {
                                mark[c] = Mark::Open;
                                stack.push((c, 0));
                            }
                            Mark::Done => {}
                        }
                    }
                    None => {
                        mark[n] = Mark::Done;
                        post.push(n);
                    }
                }
            }
        }
        post.reverse();
        Ok(post)
    }

    /// For each node, the most nodes on one in-place path from it (itself
    /// included).
    fn longest_in_place(&self, order: &[usize]) -> Vec<usize> {
        let mut longest = vec![1usize; self.nodes.len()];
        for &n in order.iter().rev() {
            let below = self.nodes[n]
                .in_place
                .iter()
                .map(|&c| longest[c])
                .max()
                .unwrap_or(0);
            longest[n] = below + 1;
        }
        longest
    }

    /// How often each node is applied to a value, given how often each is
    /// entered there (`entries`): along every in-place path.
    fn in_place(&self, order: &[usize], entries: &[f64]) -> Vec<f64> {
        let mut applied = entries.to_vec();
        for &n in order {
            let times = applied[n];
            if times == 0.0 {
                continue;
            }
            for &c in &self.nodes[n].in_place {
                applied[c] = (applied[c] + times).min(CAP);
            }
        }
        applied
    }

    /// How often each node is entered on one member or item at most, given
    /// how often each is applied to their parent (`applied`).
    fn descend(&self, applied: &[f64]) -> Vec<f64> {
        let mut member = vec![0.0; self.nodes.len()];
        let mut item = vec![0.0; self.nodes.len()];
        for (n, &times) in applied.iter().enumerate() {
            if times == 0.0 {
                continue;
            }
            let node = &self.nodes[n];
            // One of these per member: each distinct one once (deduplicated
            // when resolved).
            for &c in &node.member_one_of {
                member[c] = (member[c] + times).min(CAP);
            }
            for &c in &node.member_each {
                member[c] = (member[c] + times).min(CAP);
            }
            for &c in &node.item_one_of {
                item[c] = (item[c] + times).min(CAP);
            }
            for &c in &node.item_each {
                item[c] = (item[c] + times).min(CAP);
            }
        }
        // A value has members or items, not both.
        member.iter().zip(&item).map(|(m, i)| m.max(*i)).collect()
    }
}

/// Where the `$ref`s that are not pointers may lead, as the graph stands.
struct Index<'a> {
    /// Nodes by `$anchor`, `$dynamicAnchor`, or the fragment of an `$id`.
    anchors: HashMap<&'a str, Vec<usize>>,
    /// Nodes with `"$recursiveAnchor": true`.
    recursive: Vec<usize>,
    /// Resources, with their `$id` less any fragment, by its last segment.
    resources: HashMap<&'a str, Vec<(usize, &'a str)>>,
}

impl<'a> Index<'a> {
    fn of(nodes: &[Node<'a>]) -> Index<'a> {
        let mut index = Index {
            anchors: HashMap::new(),
            recursive: Vec::new(),
            resources: HashMap::new(),
        };
        for (i, node) in nodes.iter().enumerate() {
            let named = |k: &str| node.value.get(k).and_then(Value::as_str);
            for anchor in [named("$anchor"), named("$dynamicAnchor")]
                .into_iter()
                .flatten()
            {
                index.anchors.entry(anchor).or_default().push(i);
            }
            for id in [named("$id"), named("id")].into_iter().flatten() {
                let (url, fragment) = id.split_once('#').unwrap_or((id, ""));
                if !fragment.is_empty() {
                    index.anchors.entry(fragment).or_default().push(i);
                }
                if node.resource == i && !url.is_empty() {
                    let by = index.resources.entry(last_segment(url)).or_default();
                    by.push((i, url));
                }
            }
            if node.value.get("$recursiveAnchor") == Some(&Value::Bool(true)) {
                index.recursive.push(i);
            }
        }
        index
    }
}

/// What follows the last `/` of a URL (all of it without one).
fn last_segment(url: &str) -> &str {
    url.rsplit('/').next().unwrap_or(url)
}

fn dedup(mut v: Vec<usize>) -> Vec<usize> {
    v.sort_unstable();
    v.dedup();
    v
}
