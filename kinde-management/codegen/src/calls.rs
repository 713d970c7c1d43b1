//! The call sites of the contract test (`kinde-management/tests/contract/calls.rs`):
//! one function per generated operation that calls its method with every required
//! parameter and body set, from sample values the test derives from the spec itself.
//! Only the call sites are generated (Rust cannot call a method by name at run time);
//! what a request must look like is read from the pinned spec by the test.

use heck::{ToPascalCase, ToSnakeCase};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use serde_json::Value;
use syn::{Fields, GenericArgument, ImplItem, Item, PathArguments, Type, WherePredicate};

use crate::normalise;

pub fn calls(api: &syn::File, spec: &Value) -> Result<TokenStream, String> {
    let builders = api
        .items
        .iter()
        .find_map(|i| match i {
            Item::Mod(m) if m.ident == "builder" => m.content.as_ref().map(|c| &c.1),
            _ => None,
        })
        .ok_or("progenitor's output has no builder module")?;
    let mut fns = Vec::new();
    let mut table = Vec::new();
    for (_, _, op) in normalise::operations(spec) {
        let id = op["operationId"]
            .as_str()
            .ok_or("an operation without an id")?;
        // The contract test reads the pinned spec, so it knows operations by their ids there.
        let spec_id = op[normalise::SPEC_OPERATION_ID].as_str().unwrap_or(id);
        let pascal = id.to_pascal_case();
        let strukt = builders
            .iter()
            .find_map(|i| match i {
                Item::Struct(s) if s.ident == pascal => Some(s),
                _ => None,
            })
            .ok_or_else(|| format!("no builder {pascal} for {id}"))?;
        let setters = builders
            .iter()
            .find_map(|i| match i {
                Item::Impl(imp)
                    if imp.trait_.is_none()
                        && matches!(&*imp.self_ty, Type::Path(p)
                            if p.path.segments.last().is_some_and(|s| s.ident == pascal)) =>
                {
                    Some(imp)
                }
                _ => None,
            })
            .ok_or_else(|| format!("no impl of {pascal}"))?;
        let params: Vec<&Value> = op["parameters"]
            .as_array()
            .map(|a| a.iter().collect())
            .unwrap_or_default();
        let Fields::Named(fields) = &strukt.fields else {
            return Err(format!("{pascal} has no named fields"));
        };
        let mut chain = Vec::new();
        for field in &fields.named {
            let Some(name) = &field.ident else { continue };
            if name == "client" {
                continue;
            }
            let Some(inner) = first_arg(&field.ty) else {
                continue;
            };
            let optional = last_ident(inner).is_some_and(|i| i == "Option");
            if name == "body" {
                if optional {
                    continue;
                }
                let body_ty = body_type(setters).ok_or_else(|| format!("{pascal}::body"))?;
                chain.push(quote!(.body(sample_body::<#body_ty>(#spec_id))));
                continue;
            }
            let api_name = params
                .iter()
                .filter_map(|p| p["name"].as_str())
                .find(|n| n.to_snake_case() == name.to_string().trim_end_matches('_'))
                .ok_or_else(|| format!("{id}: no parameter for field {name}"))?;
            // Required by the spec but `nullable` is an `Option` to progenitor: the call
            // sets what the spec requires, whatever the field's type.
            let required = params
                .iter()
                .any(|p| p["name"] == api_name && p["required"] == Value::Bool(true));
            if optional && !required {
                continue;
            }
            let ty = if optional {
                retarget(first_arg(inner).ok_or_else(|| format!("{id}.{name}: Option of what"))?)
            } else {
                retarget(inner)
            };
            chain.push(quote!(.#name(sample_param::<#ty>(#spec_id, #api_name))));
        }
        let method = format_ident!("{}", id.to_snake_case());
        let f = format_ident!("call_{}", id.to_snake_case());
        fns.push(quote! {
            async fn #f(client: &Client) {
                let _ = client.#method()#(#chain)*.send().await;
            }
        });
        table.push(quote!((#spec_id, |c| Box::pin(#f(c)))));
    }
    Ok(quote! {
        use kinde_management::{Client, types};

        use super::{Call, sample_body, sample_param};

        /// Every generated operation: its `operationId` in the spec and a call of it.
        pub fn generated() -> Vec<(&'static str, Call)> {
            vec![#(#table),*]
        }

        #(#fns)*
    })
}

fn body_type(imp: &syn::ItemImpl) -> Option<TokenStream> {
    imp.items.iter().find_map(|i| {
        let ImplItem::Fn(f) = i else { return None };
        if f.sig.ident != "body" {
            return None;
        }
        f.sig
            .generics
            .where_clause
            .as_ref()?
            .predicates
            .iter()
            .find_map(|p| match p {
                WherePredicate::Type(t) => t.bounds.iter().find_map(|b| match b {
                    syn::TypeParamBound::Trait(tr) => {
                        let last = tr.path.segments.last()?;
                        if last.ident != "TryInto" {
                            return None;
                        }
                        let PathArguments::AngleBracketed(a) = &last.arguments else {
                            return None;
                        };
                        a.args.iter().find_map(|g| match g {
                            GenericArgument::Type(t) => Some(retarget(t)),
                            _ => None,
                        })
                    }
                    _ => None,
                }),
                _ => None,
            })
    })
}

/// A type as progenitor's builder module names it (`types::X`, `super::X`), named
/// from the test crate.
fn retarget(ty: &Type) -> TokenStream {
    let text = quote!(#ty).to_string().replace("super :: ", "types :: ");
    text.parse().unwrap_or_else(|_| quote!(#ty))
}

fn first_arg(ty: &Type) -> Option<&Type> {
    let Type::Path(p) = ty else { return None };
    let PathArguments::AngleBracketed(a) = &p.path.segments.last()?.arguments else {
        return None;
    };
    a.args.iter().find_map(|g| match g {
        GenericArgument::Type(t) => Some(t),
        _ => None,
    })
}

fn last_ident(ty: &Type) -> Option<&syn::Ident> {
    match ty {
        Type::Path(p) => p.path.segments.last().map(|s| &s.ident),
        _ => None,
    }
}
