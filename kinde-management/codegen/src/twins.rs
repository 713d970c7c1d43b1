//! What kinde-management generates beside progenitor's client, read from progenitor's
//! own output: the blocking twin (the same methods and builder setters, `send` without
//! `async`) and the [`Paginated`] impls of the list operations that page by
//! `next_token`.
//!
//! [`Paginated`]: ../../kinde-management/src/pages.rs

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::{
    FnArg, GenericArgument, ImplItem, Item, ItemImpl, ItemMod, Pat, PathArguments, ReturnType, Type,
};

/// The blocking twin of `api` (progenitor's file): `crate::blocking::Client`'s methods
/// and a `builder` module of blocking builders.
pub fn blocking(api: &syn::File) -> Result<TokenStream, String> {
    let client_impl = client_impl(api)?;
    let builders = module(&api.items, "builder")?;
    let mut methods = Vec::new();
    for item in &client_impl.items {
        let ImplItem::Fn(f) = item else { continue };
        let name = &f.sig.ident;
        let attrs = docs(&f.attrs);
        let ReturnType::Type(_, ty) = &f.sig.output else {
            return Err(format!("Client::{name} returns nothing"));
        };
        let builder = last_ident(ty).ok_or_else(|| format!("Client::{name}'s builder"))?;
        methods.push(quote! {
            #(#attrs)*
            pub fn #name(&self) -> builder::#builder<'_> {
                builder::#builder { api: self.api().#name(), client: self }
            }
        });
    }
    let mut structs = Vec::new();
    for item in &builders.content.as_ref().ok_or("empty builder module")?.1 {
        let Item::Impl(imp) = item else { continue };
        if imp.trait_.is_some() {
            continue;
        }
        let name = last_ident(&imp.self_ty).ok_or("a builder impl")?;
        let mut setters = Vec::new();
        for item in &imp.items {
            let ImplItem::Fn(f) = item else { continue };
            let fname = &f.sig.ident;
            if fname == "new" {
                continue;
            }
            if fname == "send" {
                let output = &f.sig.output;
                let attrs = docs(&f.attrs);
                setters.push(quote! {
                    #(#attrs)*
                    pub fn send(self) #output {
                        self.client.run(self.api.send())
                    }
                });
                continue;
            }
            let generics = &f.sig.generics;
            let where_clause = &f.sig.generics.where_clause;
            let inputs: Vec<_> = f
                .sig
                .inputs
                .iter()
                .filter_map(|arg| match arg {
                    FnArg::Typed(t) => Some(t),
                    FnArg::Receiver(_) => None,
                })
                .collect();
            let names: Vec<_> = inputs
                .iter()
                .map(|t| match &*t.pat {
                    Pat::Ident(i) => Ok(i.ident.clone()),
                    _ => Err(format!("{name}::{fname}: an argument that is not a name")),
                })
                .collect::<Result<_, _>>()?;
            let types: Vec<_> = inputs.iter().map(|t| &t.ty).collect();
            let attrs = docs(&f.attrs);
            setters.push(quote! {
                #(#attrs)*
                pub fn #fname #generics (self, #(#names: #types),*) -> Self #where_clause {
                    Self { api: self.api.#fname(#(#names),*), client: self.client }
                }
            });
        }
        let paged = imp
            .items
            .iter()
            .any(|i| matches!(i, ImplItem::Fn(f) if f.sig.ident == "next_token"));
        let iter = paged.then(|| quote! {
            /// Every item of every page, the next page fetched when the iterator reaches it.
            impl<'a> IntoIterator for #name<'a> {
                type Item = Result<
                    <crate::builder::#name<'a> as crate::pages::Paginated<'a>>::Item,
                    Error<types::ErrorResponse>,
                >;
                type IntoIter = crate::blocking::PageIter<'a, <crate::builder::#name<'a> as crate::pages::Paginated<'a>>::Item>;
                fn into_iter(self) -> Self::IntoIter {
                    self.client.page_iter(crate::pages::Paginated::into_stream(self.api))
                }
            }
        });
        let doc = format!("Blocking twin of [`crate::builder::{name}`].");
        structs.push(quote! {
            #[doc = #doc]
            #[derive(Debug, Clone)]
            pub struct #name<'a> {
                pub(crate) api: crate::builder::#name<'a>,
                pub(crate) client: &'a crate::blocking::Client,
            }
            impl<'a> #name<'a> {
                #(#setters)*
            }
            #iter
        });
    }
    Ok(quote! {
        impl crate::blocking::Client {
            #(#methods)*
        }

        /// Blocking builders: the same setters as [`crate::builder`]'s, and `send`
        /// without `async`.
        #[allow(clippy::all)]
        pub mod builder {
            #[allow(unused_imports)]
            use crate::{ByteStream, Error, ResponseValue, types};

            #(#structs)*
        }
    })
}

/// The `Paginated` impls: every builder with a `next_token` setter whose answer has a
/// `next_token` and one list.
pub fn pages(api: &syn::File) -> Result<(TokenStream, usize), String> {
    let builders = module(&api.items, "builder")?;
    let types = module(&api.items, "types")?;
    let type_items = &types.content.as_ref().ok_or("empty types module")?.1;
    let mut impls = Vec::new();
    for item in &builders.content.as_ref().ok_or("empty builder module")?.1 {
        let Item::Impl(imp) = item else { continue };
        if imp.trait_.is_some() {
            continue;
        }
        let fns: Vec<_> = imp
            .items
            .iter()
            .filter_map(|i| match i {
                ImplItem::Fn(f) => Some(f),
                _ => None,
            })
            .collect();
        if !fns.iter().any(|f| f.sig.ident == "next_token") {
            continue;
        }
        let name = last_ident(&imp.self_ty).ok_or("a builder impl")?;
        let send = fns
            .iter()
            .find(|f| f.sig.ident == "send")
            .ok_or_else(|| format!("{name} has no send"))?;
        let page = ok_type(&send.sig.output).ok_or_else(|| format!("{name}::send's type"))?;
        let page_struct = type_items
            .iter()
            .find_map(|i| match i {
                Item::Struct(s) if s.ident == page => Some(s),
                _ => None,
            })
            .ok_or_else(|| format!("types::{page}"))?;
        let mut list = None;
        let mut has_token = false;
        for field in &page_struct.fields {
            let Some(ident) = &field.ident else { continue };
            if ident == "next_token" {
                has_token = true;
            } else if let Some(item) = vec_item(&field.ty) {
                if list.is_some() {
                    return Err(format!("types::{page} has two lists"));
                }
                list = Some((ident.clone(), item));
            }
        }
        let (Some((list, item)), true) = (list, has_token) else {
            return Err(format!("types::{page} is not a page"));
        };
        let item = qualify(item);
        impls.push(quote! {
            impl<'a> Paginated<'a> for crate::builder::#name<'a> {
                type Page = types::#page;
                type Item = #item;
                fn with_next_token(self, token: String) -> Self {
                    self.next_token(token)
                }
                fn into_parts(page: types::#page) -> (Vec<Self::Item>, Option<String>) {
                    (page.#list, page.next_token)
                }
                fn send_page(self) -> PageFuture<'a, types::#page> {
                    Box::pin(self.send())
                }
            }
        });
    }
    let count = impls.len();
    Ok((
        quote! {
            use crate::pages::{PageFuture, Paginated};
            use crate::types;

            #(#impls)*
        },
        count,
    ))
}

fn client_impl(api: &syn::File) -> Result<&ItemImpl, String> {
    api.items
        .iter()
        .find_map(|i| match i {
            Item::Impl(imp)
                if imp.trait_.is_none()
                    && last_ident(&imp.self_ty).is_some_and(|n| n == "Client")
                    && imp.items.iter().any(|i| {
                        matches!(i, ImplItem::Fn(f) if matches!(&f.sig.output,
                            ReturnType::Type(_, t) if type_path_contains(t, "builder")))
                    }) =>
            {
                Some(imp)
            }
            _ => None,
        })
        .ok_or_else(|| "progenitor's Client has no builder methods".into())
}

fn module<'a>(items: &'a [Item], name: &str) -> Result<&'a ItemMod, String> {
    items
        .iter()
        .find_map(|i| match i {
            Item::Mod(m) if m.ident == name => Some(m),
            _ => None,
        })
        .ok_or_else(|| format!("progenitor's output has no `{name}` module"))
}

fn docs(attrs: &[syn::Attribute]) -> Vec<&syn::Attribute> {
    attrs.iter().filter(|a| a.path().is_ident("doc")).collect()
}

fn last_ident(ty: &Type) -> Option<syn::Ident> {
    match ty {
        Type::Path(p) => p.path.segments.last().map(|s| s.ident.clone()),
        _ => None,
    }
}

fn type_path_contains(ty: &Type, segment: &str) -> bool {
    matches!(ty, Type::Path(p) if p.path.segments.iter().any(|s| s.ident == segment))
}

fn generic_args(ty: &Type) -> Vec<&Type> {
    let Type::Path(p) = ty else { return vec![] };
    let Some(last) = p.path.segments.last() else {
        return vec![];
    };
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return vec![];
    };
    args.args
        .iter()
        .filter_map(|a| match a {
            GenericArgument::Type(t) => Some(t),
            _ => None,
        })
        .collect()
}

/// `T` of `Result<ResponseValue<types::T>, _>`.
fn ok_type(output: &ReturnType) -> Option<syn::Ident> {
    let ReturnType::Type(_, ty) = output else {
        return None;
    };
    let ok = *generic_args(ty).first()?;
    let value = *generic_args(ok).first()?;
    last_ident(value)
}

fn vec_item(ty: &Type) -> Option<&Type> {
    if last_ident(ty)? != "Vec" {
        return None;
    }
    generic_args(ty).first().copied()
}

/// A type named inside progenitor's `types` module, named from outside it.
fn qualify(ty: &Type) -> TokenStream {
    match ty {
        Type::Path(p) if p.qself.is_none() && p.path.segments.len() == 1 => {
            let ident = format_ident!("{}", p.path.segments[0].ident);
            quote!(types::#ident)
        }
        other => quote!(#other),
    }
}
