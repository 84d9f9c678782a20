//! The `example` service: a small users API with fake data.
//!
//! - `GET /users` — a JSON list of fake users
//! - `GET /users/{id}` — one user (404 for id 0)
//! - `POST /users` — creates a user from `{"name": …, "email": …}` (201)
//! - `GET /thing?id=N` — a thing, or `403 Auth error` one time in ten
//! - `GET /events` — server-sent events: three fake users, half a second
//!   apart, then open for the events tests push (`POST
//!   /__admin/streams/push`, see docs/streams.md)

use fake_servicer::prelude::*;
use std::time::Duration;

#[derive(Serialize)]
struct User {
    id: u64,
    name: String,
    email: String,
}

#[derive(Deserialize)]
struct NewUser {
    name: String,
    email: Option<String>,
}

#[derive(Serialize)]
struct Thing {
    id: u64,
    name: String,
}

#[derive(Deserialize)]
struct ThingQuery {
    id: u64,
}

fn fake_user(id: u64) -> User {
    User {
        id,
        name: fake::name(),
        email: fake::email(),
    }
}

/// A short text answer: what `bench/` measures.
#[route(get, "/ping")]
fn ping() -> &'static str {
    "pong"
}

#[route(get, "/users")]
fn list_users() -> Json<Vec<User>> {
    Json((1..=5).map(fake_user).collect())
}

#[route(get, "/users/{id}")]
fn get_user(Path(id): Path<u64>) -> Option<Json<User>> {
    (id != 0).then(|| Json(fake_user(id)))
}

#[route(post, "/users")]
fn create_user(Json(new): Json<NewUser>) -> (StatusCode, Json<User>) {
    let user = User {
        id: random::<u32>().into(),
        email: new.email.unwrap_or_else(fake::email),
        name: new.name,
    };
    (StatusCode::CREATED, Json(user))
}

#[route(get, "/thing")]
fn get_thing(Query(q): Query<ThingQuery>) -> Result<Json<Thing>, (StatusCode, &'static str)> {
    if random::<f64>() < 0.1 {
        return Err((StatusCode::FORBIDDEN, "Auth error"));
    }
    Ok(Json(Thing {
        id: q.id,
        name: fake::name(),
    }))
}

#[route(get, "/events")]
fn user_events() -> Streaming {
    let mut events = Streaming::new();
    for id in 1..=3 {
        events = events
            .sse(Sse::event("user").id(id.to_string()).json(&fake_user(id)))
            .pause(Duration::from_millis(500));
    }
    events.live()
}

fake_servicer::service!(
    ping,
    list_users,
    get_user,
    create_user,
    get_thing,
    user_events
);
