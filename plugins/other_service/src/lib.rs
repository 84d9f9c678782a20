//! The `other_service` service: users with companies, and a flaky payment
//! endpoint.
//!
//! - `GET /users` — a JSON list of fake users with their company
//! - `GET /users/{id}` — one user (404 for id 0)
//! - `POST /users` — creates a user from `{"name": …}` (201)
//! - `POST /payments` — `{"status":"accepted"}`, or `503` one time in five

use fake_servicer::prelude::*;

#[derive(Serialize)]
struct User {
    id: u64,
    name: String,
    company: String,
    phone: String,
}

#[derive(Deserialize)]
struct NewUser {
    name: String,
}

fn fake_user(id: u64) -> User {
    User {
        id,
        name: fake::name(),
        company: fake::company(),
        phone: fake::phone_number(),
    }
}

#[route(get, "/users")]
fn list_users() -> Json<Vec<User>> {
    Json((1..=3).map(fake_user).collect())
}

#[route(get, "/users/{id}")]
fn get_user(Path(id): Path<u64>) -> Option<Json<User>> {
    (id != 0).then(|| Json(fake_user(id)))
}

#[route(post, "/users")]
fn create_user(Json(new): Json<NewUser>) -> (StatusCode, Json<User>) {
    let mut user = fake_user(random::<u32>().into());
    user.name = new.name;
    (StatusCode::CREATED, Json(user))
}

#[route(post, "/payments")]
fn pay() -> Response {
    if random::<f64>() < 0.2 {
        return Response::new()
            .status(StatusCode::SERVICE_UNAVAILABLE)
            .json(&serde_json_error());
    }
    Response::new().json(&Payment {
        id: fake::uuid(),
        status: "accepted",
    })
}

#[derive(Serialize)]
struct Payment {
    id: String,
    status: &'static str,
}

fn serde_json_error() -> fake_servicer::serde_json::Value {
    fake_servicer::serde_json::json!({"error": "payment provider unavailable"})
}

fake_servicer::service!(list_users, get_user, create_user, pay);
