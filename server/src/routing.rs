//! Request routing: which service a request is for (Host first, then the
//! first path segment) and which of its routes matches.

use fake_servicer::abi::{FfiRoute, HandlerFn};
use http::Method;
use percent_encoding::percent_decode_str;
use std::borrow::Cow;
use std::sync::{Arc, atomic::AtomicU32};

/// One route of a service, as served.
#[derive(Clone, Debug)]
pub struct Route {
    pub method: Method,
    pub pattern: String,
    pub handler: HandlerFn,
    /// `METHOD /pattern`, as the journal and errors name the route.
    pub label: Arc<str>,
    /// Calls in a row that returned quickly: where the handler may run
    /// (see [`crate::runner`]).
    pub fast_streak: Arc<AtomicU32>,
}

/// A service's routes, matched by path pattern (`/users/{id}`) then method.
pub struct RouteTable {
    router: matchit::Router<usize>,
    /// Per distinct pattern, the routes (one per method).
    by_pattern: Vec<Vec<Route>>,
    routes: Vec<Route>,
}

/// What matching a request against a [`RouteTable`] found.
#[derive(Debug)]
pub enum RouteMatch<'a> {
    Found {
        route: &'a Route,
        params: Vec<(String, String)>,
    },
    MethodNotAllowed(Vec<Method>),
    NotFound,
}

impl RouteTable {
    /// Builds the table from a plugin's route list; refuses unknown methods,
    /// bad patterns, conflicting patterns and duplicate method+pattern pairs.
    pub fn build(routes: &[FfiRoute]) -> Result<RouteTable, String> {
        let mut table = RouteTable {
            router: matchit::Router::new(),
            by_pattern: Vec::new(),
            routes: Vec::new(),
        };
        let mut patterns: Vec<String> = Vec::new();
        for r in routes {
            let method = Method::from_bytes(r.method.as_str().as_bytes())
                .map_err(|_| format!("invalid method {:?}", r.method.as_str()))?;
            let pattern = r.path.as_str().to_owned();
            let route = Route {
                method: method.clone(),
                pattern: pattern.clone(),
                handler: r.handler,
                label: format!("{method} {pattern}").into(),
                fast_streak: Arc::default(),
            };
            match patterns.iter().position(|p| *p == pattern) {
                Some(i) => {
                    if table.by_pattern[i].iter().any(|x| x.method == method) {
                        return Err(format!("{method} {pattern} is declared twice"));
                    }
                    table.by_pattern[i].push(route.clone());
                }
                None => {
                    table
                        .router
                        .insert(pattern.clone(), patterns.len())
                        .map_err(|e| format!("route {method} {pattern}: {e}"))?;
                    patterns.push(pattern);
                    table.by_pattern.push(vec![route.clone()]);
                }
            }
            table.routes.push(route);
        }
        Ok(table)
    }

    /// All routes, in declaration order.
    pub fn routes(&self) -> &[Route] {
        &self.routes
    }

    /// Matches a service-relative path (percent-encoded) and method. `HEAD`
    /// falls back to a `GET` route.
    pub fn find(&self, method: &Method, path: &str) -> RouteMatch<'_> {
        let Ok(m) = self.router.at(path) else {
            return RouteMatch::NotFound;
        };
        let candidates = &self.by_pattern[*m.value];
        let route = candidates.iter().find(|r| r.method == *method).or_else(|| {
            (*method == Method::HEAD)
                .then(|| candidates.iter().find(|r| r.method == Method::GET))
                .flatten()
        });
        match route {
            Some(route) => RouteMatch::Found {
                route,
                params: m
                    .params
                    .iter()
                    .map(|(k, v)| {
                        (
                            k.to_owned(),
                            percent_decode_str(v).decode_utf8_lossy().into_owned(),
                        )
                    })
                    .collect(),
            },
            None => {
                RouteMatch::MethodNotAllowed(candidates.iter().map(|r| r.method.clone()).collect())
            }
        }
    }
}

/// Where a request goes: the service and the path relative to it.
#[derive(Debug, PartialEq, Eq)]
pub struct Target<'a, N = String> {
    pub service: N,
    pub path: &'a str,
}

/// Resolves the service of a request: the first label of `host` when it
/// names a known service (`_` and `-` interchangeable, case-insensitive),
/// otherwise the first segment of `path`. `known` says whether a name is a
/// loaded service and returns its canonical name (in whatever form `N` the
/// caller keeps names). When no service is found, the first segment, if
/// any (decoded; borrowed from `path` when there was nothing to decode).
pub fn resolve<'a, N>(
    host: Option<&str>,
    path: &'a str,
    known: impl Fn(&str) -> Option<N>,
) -> Result<Target<'a, N>, Option<Cow<'a, str>>> {
    if let Some(label) = host.and_then(first_label)
        && let Some(service) = lookup(label, &known)
    {
        return Ok(Target { service, path });
    }
    let rest = path.strip_prefix('/').unwrap_or(path);
    let (segment, tail) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let segment = if segment.contains('%') {
        percent_decode_str(segment).decode_utf8_lossy()
    } else {
        Cow::Borrowed(segment)
    };
    match lookup(&segment, &known) {
        Some(service) => Ok(Target {
            service,
            path: tail,
        }),
        None => Err((!segment.is_empty()).then_some(segment)),
    }
}

/// The service a host name (`example.localhost`, `Other-Service:443`)
/// names by the rules of [`resolve`], if any.
pub fn host_service<N>(host: &str, known: impl Fn(&str) -> Option<N>) -> Option<N> {
    lookup(first_label(host)?, &known)
}

fn lookup<N>(name: &str, known: &impl Fn(&str) -> Option<N>) -> Option<N> {
    let lower = if name.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(name.to_ascii_lowercase())
    } else {
        Cow::Borrowed(name)
    };
    known(&lower).or_else(|| {
        lower
            .contains('-')
            .then(|| known(&lower.replace('-', "_")))
            .flatten()
    })
}

pub use fake_servicer_core::service::{canonical, same_service};

/// `Example.localhost:8080` → `Example` (looked up case-insensitively);
/// an IP address has no service label.
fn first_label(host: &str) -> Option<&str> {
    let host = host.trim_ascii();
    if host.starts_with('[') {
        return None; // IPv6 literal
    }
    let name = match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    };
    // An IPv4 address (digits and dots only: no name is all digits).
    if name.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return None;
    }
    let label = match name.bytes().position(|b| b == b'.') {
        Some(dot) => &name[..dot],
        None => name,
    };
    (!label.is_empty()).then_some(label)
}

#[cfg(test)]
mod tests {
    use super::*;
    use abi_stable::std_types::RStr;
    use fake_servicer::abi::{FfiRequest, FfiResponse};

    extern "C" fn nop(_: &FfiRequest<'_>) -> FfiResponse {
        fake_servicer::Response::new().into_ffi()
    }

    fn route(method: &'static str, path: &'static str) -> FfiRoute {
        FfiRoute {
            method: RStr::from_str(method),
            path: RStr::from_str(path),
            handler: nop,
        }
    }

    fn known(name: &str) -> Option<String> {
        ["example", "other_service"]
            .contains(&name)
            .then(|| name.to_owned())
    }

    #[test]
    fn host_first_label_names_the_service() {
        let t = resolve(Some("example:8080"), "/users", known).unwrap();
        assert_eq!(
            t,
            Target {
                service: "example".into(),
                path: "/users"
            }
        );
        let t = resolve(Some("Example.localhost:8080"), "/users", known).unwrap();
        assert_eq!(t.service, "example");
        let t = resolve(Some("other-service"), "/users", known).unwrap();
        assert_eq!(t.service, "other_service");
    }

    #[test]
    fn otherwise_the_first_path_segment() {
        let t = resolve(Some("fake-services"), "/example/users/7", known).unwrap();
        assert_eq!(
            t,
            Target {
                service: "example".into(),
                path: "/users/7"
            }
        );
        let t = resolve(Some("127.0.0.1:80"), "/other-service", known).unwrap();
        assert_eq!(
            t,
            Target {
                service: "other_service".into(),
                path: "/"
            }
        );
        assert_eq!(
            resolve(Some("localhost"), "/nope/x", known),
            Err(Some("nope".into()))
        );
        assert_eq!(resolve(None, "/", known), Err(None));
    }

    #[test]
    fn routes_match_by_pattern_then_method() {
        let t = RouteTable::build(&[
            route("GET", "/users"),
            route("POST", "/users"),
            route("GET", "/users/{id}"),
        ])
        .unwrap();
        match t.find(&Method::GET, "/users/a%20b") {
            RouteMatch::Found { route, params } => {
                assert_eq!(route.pattern, "/users/{id}");
                assert_eq!(params, vec![("id".to_owned(), "a b".to_owned())]);
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            t.find(&Method::HEAD, "/users"),
            RouteMatch::Found { .. }
        ));
        match t.find(&Method::DELETE, "/users") {
            RouteMatch::MethodNotAllowed(m) => assert_eq!(m, vec![Method::GET, Method::POST]),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            t.find(&Method::GET, "/nope"),
            RouteMatch::NotFound
        ));
    }

    #[test]
    fn conflicting_or_duplicate_routes_are_refused() {
        let dup = RouteTable::build(&[route("GET", "/a"), route("GET", "/a")]);
        assert!(dup.err().unwrap().contains("declared twice"));
        let conflict = RouteTable::build(&[route("GET", "/a/{x}"), route("GET", "/a/{y}")]);
        assert!(conflict.is_err());
        let bad = RouteTable::build(&[route("G ET", "/a")]);
        assert!(bad.is_err());
    }
}
