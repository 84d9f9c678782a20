//! `#[grpc("/pkg.Service/Method")]`, `#[grpc(stream, …)]` (server
//! streaming), `#[grpc(client_stream, …)]` and `#[grpc(bidi, …)]`:
//! keeps the fn and adds the hidden route constant `#[route]` makes, for
//! `POST /pkg.Service/Method`, whose shim decodes the request message,
//! runs the other extractors and frames the answer.

use crate::route::{arg_type, check_signature, extractor, return_span, route_const};
use proc_macro2::TokenStream;
use quote::quote_spanned;
use syn::{
    Ident, ItemFn, LitStr, Token,
    parse::{Parse, ParseStream},
    spanned::Spanned,
};

const USAGE: &str = "expected #[grpc(\"/<package>.<Service>/<Method>\")] for a unary method, or #[grpc(<kind>, \"/<package>.<Service>/<Method>\")] with <kind> `stream` (server streaming), `client_stream` or `bidi`";

/// What a method's messages are: one or a stream, each way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Unary,
    ServerStream,
    ClientStream,
    Bidi,
}

struct GrpcArgs {
    kind: Kind,
    path: LitStr,
}

impl Parse for GrpcArgs {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut kind = Kind::Unary;
        if input.peek(Ident) {
            let word: Ident = input.parse()?;
            kind = match word.to_string().as_str() {
                "stream" | "server_stream" => Kind::ServerStream,
                "client_stream" => Kind::ClientStream,
                "bidi" => Kind::Bidi,
                "unary" => Kind::Unary,
                _ => {
                    return Err(syn::Error::new(
                        word.span(),
                        format!(
                            "unknown gRPC method kind `{word}`: `stream` (server streaming), `client_stream`, `bidi`, or nothing (unary)"
                        ),
                    ));
                }
            };
            input.parse::<Token![,]>()?;
        }
        let path: LitStr = input.parse()?;
        let _ = input.parse::<Option<Token![,]>>()?;
        Ok(GrpcArgs { kind, path })
    }
}

pub fn expand(attr: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    let args: GrpcArgs =
        syn::parse2(attr).map_err(|e| syn::Error::new(e.span(), format!("{USAGE}: {e}")))?;
    let func: ItemFn = syn::parse2(item)?;
    let path = args.path.value();
    check_grpc_path(&path).map_err(|msg| syn::Error::new(args.path.span(), msg))?;
    check_signature(&func.sig)?;

    let sig = &func.sig;
    let Some(first) = sig.inputs.first() else {
        return Err(syn::Error::new(
            sig.paren_token.span.join(),
            "a gRPC handler's first argument is the request message: `fn(req: HelloRequest, …)`",
        ));
    };
    if let syn::ReturnType::Default = sig.output {
        let answer = match args.kind {
            Kind::Unary | Kind::ClientStream => "Result<Reply, Status>",
            Kind::ServerStream | Kind::Bidi => "Result<Stream<Reply>, Status>",
        };
        return Err(syn::Error::new(
            sig.ident.span(),
            format!("a gRPC handler returns `{answer}`"),
        ));
    }

    let message_ty = arg_type(first)?;
    // One request message, or (client streaming, bidi) a `Vec` of them.
    let extract = match args.kind {
        Kind::Unary | Kind::ServerStream => quote_spanned! {message_ty.span()=>
            let __arg0 = match <::fake_servicer::grpc::Message<#message_ty> as ::fake_servicer::FromRequest>::from_request(__req) {
                ::core::result::Result::Ok(::fake_servicer::grpc::Message(v)) => v,
                ::core::result::Result::Err(e) => return ::fake_servicer::IntoResponse::into_response(e),
            };
        },
        Kind::ClientStream | Kind::Bidi => quote_spanned! {message_ty.span()=>
            let __arg0 = match <::fake_servicer::grpc::Messages<#message_ty> as ::fake_servicer::FromRequest>::from_request(__req) {
                ::core::result::Result::Ok(::fake_servicer::grpc::Messages(v)) => v,
                ::core::result::Result::Err(e) => return ::fake_servicer::IntoResponse::into_response(e),
            };
        },
    };
    let mut extracts = vec![extract];
    let mut call_args = vec![quote::format_ident!("__arg0")];
    for (i, arg) in sig.inputs.iter().enumerate().skip(1) {
        let (var, extract) = extractor(i, arg)?;
        extracts.push(extract);
        call_args.push(var);
    }

    let name = &sig.ident;
    let call = match args.kind {
        Kind::Unary | Kind::ClientStream => quote_spanned! {return_span(sig)=>
            ::fake_servicer::grpc::unary(#name(#(#call_args),*))
        },
        Kind::ServerStream | Kind::Bidi => quote_spanned! {return_span(sig)=>
            ::fake_servicer::grpc::server_stream(#name(#(#call_args),*))
        },
    };
    Ok(route_const(&func, "POST", &path, &extracts, &call))
}

/// A gRPC method's path: `/<package>.<Service>/<Method>`, the package
/// (dot-separated, possibly none) and the names being proto identifiers.
fn check_grpc_path(path: &str) -> Result<(), String> {
    let usage = "a gRPC method's path is `/<package>.<Service>/<Method>`, as in `/helloworld.Greeter/SayHello`";
    let Some(rest) = path.strip_prefix('/') else {
        return Err(format!("{usage}; it starts with `/`: {path:?}"));
    };
    let Some((service, method)) = rest.split_once('/') else {
        return Err(format!(
            "{usage}; {path:?} has no `/<Method>` after the service"
        ));
    };
    if method.contains('/') {
        return Err(format!("{usage}; {path:?} has more than two segments"));
    }
    if !is_identifier(method) {
        return Err(format!(
            "{usage}; the method {method:?} is not a proto identifier (letters, digits, `_`, not starting with a digit)"
        ));
    }
    if service.split('.').any(|part| !is_identifier(part)) {
        return Err(format!(
            "{usage}; the service {service:?} is not a dot-separated list of proto identifiers"
        ));
    }
    Ok(())
}

/// A proto identifier: an ASCII letter or `_`, then letters, digits, `_`.
fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn method_paths() {
        assert_eq!(check_grpc_path("/helloworld.Greeter/SayHello"), Ok(()));
        assert_eq!(check_grpc_path("/shop.v1.Shop/GetItem"), Ok(()));
        assert_eq!(check_grpc_path("/_a.b_2.C/D_e"), Ok(()));
        // A .proto without `package`.
        assert_eq!(check_grpc_path("/Greeter/SayHello"), Ok(()));
    }

    #[test]
    fn other_paths_are_refused_with_the_form_to_use() {
        for bad in [
            "",
            "/",
            "helloworld.Greeter/SayHello",
            "/helloworld.Greeter",
            "/helloworld.Greeter/",
            "/helloworld.Greeter/SayHello/",
            "/helloworld.Greeter/Say/Hello",
            "//SayHello",
            "/helloworld..Greeter/SayHello",
            "/.Greeter/SayHello",
            "/helloworld.Greeter./SayHello",
            "/helloworld.Greeter/{method}",
            "/hello-world.Greeter/SayHello",
            "/helloworld.Greeter/Say Hello",
            "/1helloworld.Greeter/SayHello",
            "/helloworld.Greeter/2SayHello",
            "/helloworld.Grüße/SayHello",
        ] {
            let why = check_grpc_path(bad).expect_err(bad);
            assert!(
                why.starts_with("a gRPC method's path is `/<package>.<Service>/<Method>`"),
                "{bad:?}: {why}"
            );
        }
        assert_eq!(
            check_grpc_path("/helloworld.Greeter").unwrap_err(),
            "a gRPC method's path is `/<package>.<Service>/<Method>`, as in \
             `/helloworld.Greeter/SayHello`; \"/helloworld.Greeter\" has no `/<Method>` after the service"
        );
    }

    #[test]
    fn attribute_arguments() {
        let unary: GrpcArgs = syn::parse_str(r#""/a.B/C""#).expect("parses");
        assert_eq!(unary.kind, Kind::Unary);
        assert_eq!(unary.path.value(), "/a.B/C");
        let stream: GrpcArgs = syn::parse_str(r#"stream, "/a.B/C""#).expect("parses");
        assert_eq!(stream.kind, Kind::ServerStream);
        let client: GrpcArgs = syn::parse_str(r#"client_stream, "/a.B/C""#).expect("parses");
        assert_eq!(client.kind, Kind::ClientStream);
        let bidi: GrpcArgs = syn::parse_str(r#"bidi, "/a.B/C""#).expect("parses");
        assert_eq!(bidi.kind, Kind::Bidi);
        assert!(syn::parse_str::<GrpcArgs>(r#"duplex, "/a.B/C""#).is_err());
        assert!(syn::parse_str::<GrpcArgs>("stream").is_err());
    }

    #[test]
    fn a_handler_without_a_message_or_an_answer_is_refused() {
        let err = |item: &str| {
            expand(quote::quote!("/a.B/C"), item.parse().expect("tokens"))
                .expect_err(item)
                .to_string()
        };
        assert!(
            err("fn f() -> Result<R, Status> { todo!() }")
                .contains("first argument is the request message")
        );
        assert!(err("fn f(r: Req) { }").contains("returns `Result<Reply, Status>`"));
        assert!(err("async fn f(r: Req) -> Result<R, Status> { todo!() }").contains("synchronous"));
        let ok = expand(
            quote::quote!(stream, "/a.B/C"),
            "fn f(r: Req, m: Metadata) -> Result<Stream<R>, Status> { todo!() }"
                .parse()
                .expect("tokens"),
        )
        .expect("expands")
        .to_string();
        assert!(ok.contains("__fake_servicer_route_f"), "{ok}");
        assert!(ok.contains("server_stream"), "{ok}");
        assert!(
            ok.contains(":: fake_servicer :: grpc :: Message < Req >"),
            "{ok}"
        );
    }
}
