//! Procedural macros of `fake-servicer-sdk`; use them through
//! `fake_servicer::route`, `fake_servicer::grpc` (feature `grpc`) and
//! `fake_servicer::service!`.

mod grpc;
mod route;
mod service;

use proc_macro::TokenStream;

/// See `fake_servicer::route`.
#[proc_macro_attribute]
pub fn route(attr: TokenStream, item: TokenStream) -> TokenStream {
    route::expand(attr.into(), item.into())
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// See `fake_servicer::grpc` (the SDK's feature `grpc`).
#[proc_macro_attribute]
pub fn grpc(attr: TokenStream, item: TokenStream) -> TokenStream {
    grpc::expand(attr.into(), item.into())
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// See `fake_servicer::service!`.
#[proc_macro]
pub fn service(input: TokenStream) -> TokenStream {
    service::expand(input.into())
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Name of the hidden constant that `#[route]` emits beside the fn `name`.
fn route_const_name(name: &syn::Ident) -> syn::Ident {
    quote::format_ident!("__fake_servicer_route_{}", name)
}
