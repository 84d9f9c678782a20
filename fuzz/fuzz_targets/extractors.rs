//! The `Path`, `Query` and `Json` extractors on any parameters, query
//! string and body.
#![no_main]

use fake_servicer::__private::{RSlice, RStr};
use fake_servicer::abi::{FfiHeader, FfiParam, FfiRequest};
use fake_servicer::{FromRequest, Json, Path, Query, Request};
use libfuzzer_sys::fuzz_target;
use serde::Deserialize;
use std::collections::HashMap;

#[derive(Deserialize)]
#[allow(dead_code)]
struct Params {
    id: u64,
    name: String,
    flag: Option<bool>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
enum Kind {
    A,
    B,
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.splitn(4, '\n');
    let first = parts.next().unwrap_or("");
    let second = parts.next().unwrap_or("");
    let query = parts.next().unwrap_or("");
    let body = parts.next().unwrap_or("");
    let params = [
        FfiParam {
            name: RStr::from_str("id"),
            value: RStr::from_str(first),
        },
        FfiParam {
            name: RStr::from_str("name"),
            value: RStr::from_str(second),
        },
    ];
    let headers = [FfiHeader {
        name: RStr::from_str("content-type"),
        value: RSlice::from_slice(b"application/json"),
    }];
    for n in 0..=params.len() {
        let ffi = FfiRequest {
            method: RStr::from_str("GET"),
            path: RStr::from_str("/"),
            query: RStr::from_str(query),
            headers: RSlice::from_slice(&headers),
            params: RSlice::from_slice(&params[..n]),
            body: RSlice::from_slice(body.as_bytes()),
        };
        let req = Request::new(&ffi);
        let _ = <Path<u64>>::from_request(&req);
        let _ = <Path<Kind>>::from_request(&req);
        let _ = <Path<(u64, String)>>::from_request(&req);
        let _ = <Path<Params>>::from_request(&req);
        let _ = <Path<HashMap<String, String>>>::from_request(&req);
        let _ = <Path<Vec<String>>>::from_request(&req);
        let _ = <Query<Params>>::from_request(&req);
        let _ = <Query<HashMap<String, String>>>::from_request(&req);
        let _ = <Json<serde_json::Value>>::from_request(&req);
        let _ = <Json<Params>>::from_request(&req);
    }
});
