//! `#[route(method, "/path/{param}")]`: keeps the fn and adds a hidden
//! constant holding its `FfiRoute` (method, pattern, `extern "C"` shim).

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::{
    FnArg, Ident, ItemFn, LitStr, Token,
    parse::{Parse, ParseStream},
    spanned::Spanned,
};

const METHODS: [&str; 7] = ["get", "post", "put", "patch", "delete", "head", "options"];

struct RouteArgs {
    method: Ident,
    path: LitStr,
}

impl Parse for RouteArgs {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let method: Ident = input.parse()?;
        input.parse::<Token![,]>()?;
        let path: LitStr = input.parse()?;
        let _ = input.parse::<Option<Token![,]>>()?;
        Ok(RouteArgs { method, path })
    }
}

pub fn expand(attr: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    let args: RouteArgs = syn::parse2(attr).map_err(|e| {
        syn::Error::new(
            e.span(),
            format!("expected #[route(<method>, \"/path\")]: {e}"),
        )
    })?;
    let func: ItemFn = syn::parse2(item)?;

    let method = args.method.to_string().to_ascii_lowercase();
    if !METHODS.contains(&method.as_str()) {
        return Err(syn::Error::new(
            args.method.span(),
            format!(
                "unknown method `{}`; expected one of {}",
                args.method,
                METHODS.join(", ")
            ),
        ));
    }
    let method_upper = method.to_ascii_uppercase();
    let path = args.path.value();
    check_path(&path).map_err(|msg| syn::Error::new(args.path.span(), msg))?;

    check_signature(&func.sig)?;
    let mut extracts = Vec::new();
    let mut call_args = Vec::new();
    for (i, arg) in func.sig.inputs.iter().enumerate() {
        let (var, extract) = extractor(i, arg)?;
        extracts.push(extract);
        call_args.push(var);
    }
    let name = &func.sig.ident;
    let call = quote_spanned! {return_span(&func.sig)=>
        ::fake_servicer::IntoResponse::into_response(#name(#(#call_args),*))
    };
    Ok(route_const(&func, &method_upper, &path, &extracts, &call))
}

/// A handler is a plain, synchronous, non-generic fn.
pub(crate) fn check_signature(sig: &syn::Signature) -> syn::Result<()> {
    if let Some(a) = &sig.asyncness {
        return Err(syn::Error::new(
            a.span(),
            "route handlers are plain synchronous fns (the server runs them off its async workers; use Response::delay for latency)",
        ));
    }
    if !sig.generics.params.is_empty() {
        return Err(syn::Error::new(
            sig.generics.span(),
            "route handlers cannot be generic",
        ));
    }
    Ok(())
}

/// The type of a handler argument (`self` is refused).
pub(crate) fn arg_type(arg: &FnArg) -> syn::Result<&syn::Type> {
    match arg {
        FnArg::Typed(t) => Ok(&t.ty),
        FnArg::Receiver(r) => Err(syn::Error::new(
            r.span(),
            "route handlers cannot take `self`",
        )),
    }
}

/// The variable holding argument `i` and the statement extracting it with
/// its type's `FromRequest` (answering the rejection when it fails).
pub(crate) fn extractor(i: usize, arg: &FnArg) -> syn::Result<(Ident, TokenStream)> {
    let ty = arg_type(arg)?;
    let var = quote::format_ident!("__arg{}", i);
    let extract = quote_spanned! {ty.span()=>
        let #var = match <#ty as ::fake_servicer::FromRequest>::from_request(__req) {
            ::core::result::Result::Ok(v) => v,
            ::core::result::Result::Err(e) => return ::fake_servicer::IntoResponse::into_response(e),
        };
    };
    Ok((var, extract))
}

/// Where a type error in the handler's answer is reported: its return
/// type (or its name when it has none).
pub(crate) fn return_span(sig: &syn::Signature) -> proc_macro2::Span {
    match &sig.output {
        syn::ReturnType::Default => sig.ident.span(),
        syn::ReturnType::Type(_, ty) => ty.span(),
    }
}

/// `func` as written and, beside it, the hidden constant holding its
/// `FfiRoute`: `method_upper path`, served by an `extern "C"` shim that runs
/// `extracts` (binding `__arg0`, …) and answers `call`'s `Response`.
pub(crate) fn route_const(
    func: &ItemFn,
    method_upper: &str,
    path: &str,
    extracts: &[TokenStream],
    call: &TokenStream,
) -> TokenStream {
    let name = &func.sig.ident;
    let vis = &func.vis;
    let konst = crate::route_const_name(name);
    let route_desc = format!("{method_upper} {path}");
    quote! {
        #func

        #[doc(hidden)]
        #[allow(non_upper_case_globals)]
        #vis const #konst: ::fake_servicer::abi::FfiRoute = {
            extern "C" fn __shim(
                req: &::fake_servicer::abi::FfiRequest<'_>,
            ) -> ::fake_servicer::abi::FfiResponse {
                ::fake_servicer::__private::call(req, ::core::env!("CARGO_CRATE_NAME"), #route_desc, |__req| {
                    #(#extracts)*
                    #call
                })
            }
            ::fake_servicer::abi::FfiRoute {
                method: ::fake_servicer::__private::RStr::from_str(#method_upper),
                path: ::fake_servicer::__private::RStr::from_str(#path),
                handler: __shim,
            }
        };
    }
}

/// A pattern starts with `/` and its `{param}` segments are whole segments
/// with distinct, non-empty names.
fn check_path(path: &str) -> Result<(), String> {
    if !path.starts_with('/') {
        return Err(format!("route path must start with `/`: {path:?}"));
    }
    let mut names = Vec::new();
    for seg in path.split('/').skip(1) {
        let opens = seg.matches('{').count();
        let closes = seg.matches('}').count();
        if opens == 0 && closes == 0 {
            // axum 0.7's `:id` and `*rest` would compile and never match.
            if let Some(name) = seg.strip_prefix(':') {
                return Err(format!(
                    "`{seg}` is not a parameter here: write `{{{name}}}`"
                ));
            }
            if let Some(name) = seg.strip_prefix('*').filter(|n| !n.is_empty()) {
                return Err(format!(
                    "`{seg}` is not a parameter here: write `{{*{name}}}`"
                ));
            }
            continue;
        }
        let inner = seg
            .strip_prefix('{')
            .and_then(|s| s.strip_suffix('}'))
            .filter(|_| opens == 1 && closes == 1)
            .ok_or_else(|| {
                format!("a parameter must be a whole segment like `{{id}}`, found {seg:?}")
            })?;
        let name = inner.strip_prefix('*').unwrap_or(inner);
        if name.is_empty() || !name.chars().all(|c| c.is_alphanumeric() || c == '_') {
            return Err(format!("invalid parameter name in {seg:?}"));
        }
        if names.contains(&name) {
            return Err(format!("parameter `{name}` appears twice in {path:?}"));
        }
        names.push(name);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::check_path;

    #[test]
    fn paths() {
        assert!(check_path("/").is_ok());
        assert!(check_path("/users/{id}").is_ok());
        assert!(check_path("/files/{*rest}").is_ok());
        assert!(check_path("users").is_err());
        assert!(check_path("/users/x{id}").is_err());
        assert!(check_path("/users/{}").is_err());
        assert!(check_path("/a/{id}/{id}").is_err());
    }

    #[test]
    fn axum_07_parameters_are_refused_with_the_syntax_to_use() {
        assert_eq!(
            check_path("/b/:id").unwrap_err(),
            "`:id` is not a parameter here: write `{id}`"
        );
        assert_eq!(
            check_path("/files/*rest").unwrap_err(),
            "`*rest` is not a parameter here: write `{*rest}`"
        );
    }
}
