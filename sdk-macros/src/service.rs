//! `service!(name = "x", descriptors = BYTES, fn_a, path::fn_b)`: exports the
//! plugin's root module under abi_stable's root-module symbol.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{
    Expr, LitStr, Path, Token,
    parse::{Parse, ParseStream},
    punctuated::Punctuated,
};

/// Keep in step with `fake_servicer::abi::ROOT_MODULE_SYMBOL` (a test there
/// checks it against abi_stable).
const ROOT_MODULE_SYMBOL: &str = "_1as_0lib_1header_0root_bmodule_bloader";

/// What a `key = value` argument may be.
const KEYS: &str = "expected `name = \"...\"`, `descriptors = <&'static [u8]>` or route fns";

struct ServiceArgs {
    name: Option<LitStr>,
    /// An expression of type `&'static [u8]`: an encoded
    /// `FileDescriptorSet`.
    descriptors: Option<Expr>,
    routes: Punctuated<Path, Token![,]>,
}

impl Parse for ServiceArgs {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut name = None;
        let mut descriptors = None;
        // `key = value` arguments, in any order, before the routes.
        while input.peek(syn::Ident) && input.peek2(Token![=]) {
            let key: syn::Ident = input.parse()?;
            input.parse::<Token![=]>()?;
            if key == "name" {
                if name.is_some() {
                    return Err(syn::Error::new(key.span(), "`name` is given twice"));
                }
                name = Some(input.parse()?);
            } else if key == "descriptors" {
                if descriptors.is_some() {
                    return Err(syn::Error::new(key.span(), "`descriptors` is given twice"));
                }
                descriptors = Some(input.parse()?);
            } else {
                return Err(syn::Error::new(key.span(), KEYS));
            }
            if !input.is_empty() {
                input.parse::<Token![,]>()?;
            }
        }
        let routes = Punctuated::parse_terminated(input)?;
        Ok(ServiceArgs {
            name,
            descriptors,
            routes,
        })
    }
}

pub fn expand(input: TokenStream) -> syn::Result<TokenStream> {
    let args: ServiceArgs = syn::parse2(input)?;
    if let Some(name) = &args.name {
        let v = name.value();
        let ok = !v.is_empty()
            && v.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            && !v.starts_with("__");
        if !ok {
            return Err(syn::Error::new(
                name.span(),
                "a service name is letters, digits, `_` and `-` (it is used as a host name and a path segment)",
            ));
        }
    }
    let name = match &args.name {
        Some(lit) => quote!(#lit),
        None => quote!(::core::env!("CARGO_CRATE_NAME")),
    };
    let routes = args.routes.iter().map(|p| {
        let mut p = p.clone();
        if let Some(last) = p.segments.last_mut() {
            last.ident = crate::route_const_name(&last.ident);
        }
        p
    });

    // Typed here, so a wrong expression is an error about it, not about
    // the generated module.
    let descriptors = match &args.descriptors {
        Some(expr) => quote! {
            {
                let __descriptors: &'static [u8] = #expr;
                __descriptors
            }
        },
        None => quote!(&[]),
    };

    Ok(quote! {
        #[cfg(panic = "abort")]
        ::core::compile_error!(
            "fake-servicer plugins must be built with panic = \"unwind\": a handler's panic is answered 500, under panic = \"abort\" it would kill the server. Remove `panic = \"abort\"` from this crate's profile."
        );

        const _: () = {
            static __ROUTES: &[::fake_servicer::abi::FfiRoute] = &[#(#routes),*];

            fn __root_module() -> ::fake_servicer::abi::ServiceModuleRef {
                use ::fake_servicer::__private::PrefixTypeTrait;
                ::fake_servicer::abi::ServiceModule {
                    abi_version: ::fake_servicer::abi::SDK_ABI_VERSION,
                    sdk_version: ::fake_servicer::__private::RStr::from_str(::fake_servicer::abi::SDK_VERSION),
                    name: ::fake_servicer::__private::RStr::from_str(#name),
                    routes: ::fake_servicer::__private::RSlice::from_slice(__ROUTES),
                    grpc_descriptors: ::fake_servicer::__private::RSlice::from_slice(#descriptors),
                    forget_scope: ::fake_servicer::__private::forget_scope,
                }
                .leak_into_prefix()
            }

            extern "C" fn __load_root_module() -> ::fake_servicer::__private::RootModuleResult {
                ::fake_servicer::__private::__call_root_module_loader(__root_module)
            }

            #[unsafe(export_name = #ROOT_MODULE_SYMBOL)]
            pub static __FAKE_SERVICER_LIB_HEADER: ::fake_servicer::__private::LibHeader = unsafe {
                ::fake_servicer::__private::LibHeader::from_constructor::<::fake_servicer::abi::ServiceModuleRef>(
                    __load_root_module,
                    ::fake_servicer::__private::CheckTypeLayout::Yes,
                )
            };
        };
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(text: &str) -> syn::Result<ServiceArgs> {
        syn::parse_str(text)
    }

    #[test]
    fn descriptors_are_taken_before_the_routes_in_either_order() {
        for text in [
            r#"name = "greeter", descriptors = include_bytes!("a.bin"), say_hello, x::y"#,
            r#"descriptors = include_bytes!("a.bin"), name = "greeter", say_hello, x::y"#,
        ] {
            let parsed = args(text).expect(text);
            assert_eq!(parsed.name.map(|n| n.value()).as_deref(), Some("greeter"));
            let descriptors = parsed.descriptors.expect("descriptors");
            assert_eq!(
                quote!(#descriptors).to_string(),
                quote!(include_bytes!("a.bin")).to_string()
            );
            assert_eq!(parsed.routes.len(), 2, "{text}");
        }
        let only = args("descriptors = DESCRIPTORS").expect("no route");
        assert!(only.descriptors.is_some() && only.name.is_none() && only.routes.is_empty());
    }

    #[test]
    fn without_descriptors_the_set_is_empty() {
        let parsed = args(r#"name = "x", a"#).expect("parses");
        assert!(parsed.descriptors.is_none());
        let expanded = expand(quote!(name = "x", a)).expect("expands").to_string();
        assert!(
            expanded.contains(
                "grpc_descriptors : :: fake_servicer :: __private :: RSlice :: from_slice (& [])"
            ),
            "{expanded}"
        );
    }

    #[test]
    fn unknown_or_repeated_keys_are_refused() {
        let err = |text: &str| args(text).err().map(|e| e.to_string()).expect(text);
        assert_eq!(err(r#"title = "x", a"#), KEYS);
        assert_eq!(err(r#"name = "x", name = "y""#), "`name` is given twice");
        assert_eq!(
            err("descriptors = A, descriptors = B"),
            "`descriptors` is given twice"
        );
    }
}
