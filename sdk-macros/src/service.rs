//! `service!(name = "x", fn_a, path::fn_b)`: exports the plugin's root module
//! under abi_stable's root-module symbol.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{
    LitStr, Path, Token,
    parse::{Parse, ParseStream},
    punctuated::Punctuated,
};

/// Keep in step with `fake_servicer::abi::ROOT_MODULE_SYMBOL` (a test there
/// checks it against abi_stable).
const ROOT_MODULE_SYMBOL: &str = "_1as_0lib_1header_0root_bmodule_bloader";

struct ServiceArgs {
    name: Option<LitStr>,
    routes: Punctuated<Path, Token![,]>,
}

impl Parse for ServiceArgs {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut name = None;
        if input.peek(syn::Ident) && input.peek2(Token![=]) {
            let key: syn::Ident = input.parse()?;
            if key != "name" {
                return Err(syn::Error::new(
                    key.span(),
                    "expected `name = \"...\"` or route fns",
                ));
            }
            input.parse::<Token![=]>()?;
            name = Some(input.parse()?);
            if !input.is_empty() {
                input.parse::<Token![,]>()?;
            }
        }
        let routes = Punctuated::parse_terminated(input)?;
        Ok(ServiceArgs { name, routes })
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
