//! `#[derive(PyTree)]` for ferrax: makes a struct or enum a pytree whose leaves are its tensor
//! fields. Use it through `ferrax` (`use ferrax::prelude::*;` or `use ferrax::PyTree;`), which
//! re-exports it beside the trait of the same name; the generated code names `::ferrax`.
//!
//! - Structs with named fields, tuple structs, unit structs, and enums (each variant like a
//!   struct; the treedef records the variant).
//! - Generics: a type parameter used in a pytree field gets a `PyTree` bound, one used in a
//!   static field gets the static-field bounds; defaults (`struct Linear<T = Tensor>`) are fine.
//! - `#[pytree(static)]`: the field is metadata stored in the treedef (compared, hashed,
//!   printed; must be `Hash + Eq + Clone + Debug + Send + Sync + 'static`).
//! - `#[pytree(skip)]`: the field is ignored and rebuilt with `Default::default()`.
//!
//! Leaves come in field declaration order. A field whose type is not a pytree, or a static
//! field whose type lacks a required trait, is a compile error pointing at that field's type.

use proc_macro::TokenStream;
use proc_macro2::{Span, TokenStream as TokenStream2, TokenTree};
use quote::{format_ident, quote, quote_spanned, ToTokens};
use std::collections::BTreeSet;
use syn::spanned::Spanned;
use syn::{parse_macro_input, Data, DeriveInput, Fields, Ident, Member, Type};

/// Derives `ferrax::tree::PyTree`. See the crate docs and `ferrax::tree`.
#[proc_macro_derive(PyTree, attributes(pytree))]
pub fn derive_pytree(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand(input)
        .unwrap_or_else(|e| e.to_compile_error())
        .into()
}

#[derive(Clone, Copy, PartialEq)]
enum Role {
    Child,
    Static,
    Skip,
}

struct Field {
    member: Member,
    ty: Type,
    role: Role,
    binding: Ident,
}

struct Variant {
    /// `None` for a struct.
    ident: Option<Ident>,
    style: TokenStream2,
    fields: Vec<Field>,
}

fn field_role(field: &syn::Field) -> syn::Result<Role> {
    let mut role = Role::Child;
    for attr in &field.attrs {
        if !attr.path().is_ident("pytree") {
            continue;
        }
        attr.parse_nested_meta(|meta| {
            let new = if meta.path.is_ident("static") {
                Role::Static
            } else if meta.path.is_ident("skip") {
                Role::Skip
            } else {
                return Err(meta.error("unknown pytree attribute: expected `static` or `skip`"));
            };
            if role != Role::Child {
                return Err(meta.error(
                    "a field can be either `#[pytree(static)]` or `#[pytree(skip)]`, not both",
                ));
            }
            role = new;
            Ok(())
        })?;
    }
    Ok(role)
}

fn collect_fields(fields: &Fields) -> syn::Result<(TokenStream2, Vec<Field>)> {
    let style = match fields {
        Fields::Named(_) => quote!(Named),
        Fields::Unnamed(_) => quote!(Tuple),
        Fields::Unit => quote!(Unit),
    };
    let mut out = Vec::new();
    for (i, f) in fields.iter().enumerate() {
        let member = match &f.ident {
            Some(id) => Member::Named(id.clone()),
            None => Member::Unnamed(syn::Index {
                index: i as u32,
                span: f.ty.span(),
            }),
        };
        out.push(Field {
            member,
            ty: f.ty.clone(),
            role: field_role(f)?,
            binding: format_ident!("__field{}", i),
        });
    }
    Ok((style, out))
}

fn member_name(m: &Member) -> String {
    match m {
        Member::Named(id) => {
            let s = id.to_string();
            s.strip_prefix("r#").map(str::to_string).unwrap_or(s)
        }
        Member::Unnamed(ix) => ix.index.to_string(),
    }
}

/// Whether `tokens` mention any of the type parameters.
fn mentions(tokens: TokenStream2, params: &BTreeSet<String>, found: &mut BTreeSet<String>) {
    for tt in tokens {
        match tt {
            TokenTree::Ident(id) => {
                let s = id.to_string();
                if params.contains(&s) {
                    found.insert(s);
                }
            }
            TokenTree::Group(g) => mentions(g.stream(), params, found),
            _ => {}
        }
    }
}

fn expand(input: DeriveInput) -> syn::Result<TokenStream2> {
    // Locals of the generated code get call-site spans (not the field types' spans, which
    // `quote_spanned!` uses for error positions), so they still resolve when the type tokens
    // come from a `macro_rules!` expansion with its own hygiene.
    let leaves_ident = format_ident!("__leaves");
    let def_ident = format_ident!("__def");
    let node_ident = format_ident!("__node");
    for attr in &input.attrs {
        if attr.path().is_ident("pytree") {
            return Err(syn::Error::new_spanned(
                attr,
                "`#[pytree(...)]` goes on fields (`static` or `skip`), not on the type",
            ));
        }
    }
    let name = &input.ident;
    let variants: Vec<Variant> = match &input.data {
        Data::Struct(s) => {
            let (style, fields) = collect_fields(&s.fields)?;
            vec![Variant {
                ident: None,
                style,
                fields,
            }]
        }
        Data::Enum(e) => e
            .variants
            .iter()
            .map(|v| {
                let (style, fields) = collect_fields(&v.fields)?;
                Ok(Variant {
                    ident: Some(v.ident.clone()),
                    style,
                    fields,
                })
            })
            .collect::<syn::Result<_>>()?,
        Data::Union(u) => {
            return Err(syn::Error::new_spanned(
                u.union_token,
                "`#[derive(PyTree)]` does not support unions",
            ));
        }
    };
    let is_enum = matches!(input.data, Data::Enum(_));

    // Bounds: serde-style, on the type parameters that the fields use. Every use of a field's
    // type in the generated code is spanned at that type, so a field whose type lacks a needed
    // trait (not a pytree, a static field that is not `Hash`, ...) is reported at the field.
    let params: BTreeSet<String> = input
        .generics
        .type_params()
        .map(|p| p.ident.to_string())
        .collect();
    let mut child_params = BTreeSet::new();
    let mut static_params = BTreeSet::new();
    let mut generics = input.generics.clone();
    let mut extra_preds: Vec<TokenStream2> = Vec::new();
    for f in variants.iter().flat_map(|v| &v.fields) {
        match f.role {
            Role::Child => mentions(f.ty.to_token_stream(), &params, &mut child_params),
            Role::Static => mentions(f.ty.to_token_stream(), &params, &mut static_params),
            Role::Skip => {
                let mut found = BTreeSet::new();
                mentions(f.ty.to_token_stream(), &params, &mut found);
                if !found.is_empty() {
                    let ty = &f.ty;
                    extra_preds.push(quote!(#ty: ::core::default::Default));
                }
            }
        }
    }
    {
        let wc = generics.make_where_clause();
        for p in &child_params {
            let p = Ident::new(p, Span::call_site());
            wc.predicates
                .push(syn::parse_quote!(#p: ::ferrax::tree::PyTree));
        }
        for p in &static_params {
            let p = Ident::new(p, Span::call_site());
            wc.predicates.push(syn::parse_quote!(
                #p: ::core::hash::Hash + ::core::cmp::Eq + ::core::clone::Clone + ::core::fmt::Debug
                    + ::core::marker::Send + ::core::marker::Sync + 'static
            ));
        }
        for pred in &extra_preds {
            wc.predicates.push(syn::parse2(pred.clone())?);
        }
    }
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();

    let name_str = name.to_string();
    let infos = variants.iter().enumerate().map(|(i, v)| {
        let i = i as u32;
        let variant = match &v.ident {
            Some(id) => {
                let s = id.to_string();
                quote!(::core::option::Option::Some(#s))
            }
            None => quote!(::core::option::Option::None),
        };
        let style = &v.style;
        let children = v
            .fields
            .iter()
            .filter(|f| f.role == Role::Child)
            .map(|f| member_name(&f.member));
        let statics = v
            .fields
            .iter()
            .filter(|f| f.role == Role::Static)
            .map(|f| member_name(&f.member));
        quote! {
            ::ferrax::tree::StructInfo {
                name: #name_str,
                module: ::core::module_path!(),
                variant: #variant,
                variant_index: #i,
                style: ::ferrax::tree::FieldStyle::#style,
                fields: &[#(#children),*],
                static_fields: &[#(#statics),*],
            }
        }
    });

    // Per variant: a pattern binding its (non-skipped) fields, and the pieces of each method.
    let mut flatten_arms = Vec::new();
    let mut def_arms = Vec::new();
    let mut unflatten_arms = Vec::new();
    for (i, v) in variants.iter().enumerate() {
        let path = match &v.ident {
            Some(id) => quote!(Self::#id),
            None => quote!(Self),
        };
        let binds = v.fields.iter().filter(|f| f.role != Role::Skip).map(|f| {
            let (m, b) = (&f.member, &f.binding);
            quote!(#m: #b)
        });
        let pat = quote!(#path { #(#binds,)* .. });
        let children: Vec<&Field> = v.fields.iter().filter(|f| f.role == Role::Child).collect();
        let flatten = children.iter().map(|f| {
            let (ty, b) = (&f.ty, &f.binding);
            quote_spanned!(ty.span()=> <#ty as ::ferrax::tree::PyTree>::flatten_into(#b, #leaves_ident);)
        });
        let def_children = children.iter().map(|f| {
            let (ty, b) = (&f.ty, &f.binding);
            quote_spanned!(ty.span()=> <#ty as ::ferrax::tree::PyTree>::treedef_into(#b, #def_ident);)
        });
        let statics = v.fields.iter().filter(|f| f.role == Role::Static).map(|f| {
            let (ty, b) = (&f.ty, &f.binding);
            quote_spanned!(ty.span()=> ::ferrax::tree::__private::static_field::<#ty>(#b))
        });
        let ii = i as u32;
        let iu = i;
        flatten_arms.push(quote!(#pat => { #(#flatten)* }));
        def_arms.push(quote! {
            #pat => __def.structure(
                &__INFO[#iu],
                ::ferrax::tree::__private::statics([#(#statics),*]),
                |__def| { #(#def_children)* },
            )
        });
        let mut static_ix = 0usize;
        let inits = v.fields.iter().map(|f| {
            let (m, ty) = (&f.member, &f.ty);
            match f.role {
                Role::Child => quote_spanned!(ty.span()=>
                    #m: <#ty as ::ferrax::tree::PyTree>::unflatten_from(#node_ident.child(), #leaves_ident)),
                Role::Static => {
                    let k = static_ix;
                    static_ix += 1;
                    quote_spanned!(ty.span()=> #m: #node_ident.static_field::<#ty>(#k))
                }
                Role::Skip => quote_spanned!(ty.span()=> #m: ::core::default::Default::default()),
            }
        });
        unflatten_arms.push(quote!(#ii => #path { #(#inits,)* }));
    }

    let (flatten_body, def_body) = if is_enum {
        if variants.is_empty() {
            (quote!(match *self {}), quote!(match *self {}))
        } else {
            (
                quote!(match self { #(#flatten_arms,)* }),
                quote!(match self { #(#def_arms,)* }),
            )
        }
    } else {
        // One variant: destructure with `let` (clippy flags single-arm matches).
        let v = &variants[0];
        let flatten = struct_let(v, |f| {
            let (ty, b) = (&f.ty, &f.binding);
            quote_spanned!(ty.span()=> <#ty as ::ferrax::tree::PyTree>::flatten_into(#b, #leaves_ident);)
        });
        let binds = v.fields.iter().filter(|f| f.role != Role::Skip).map(|f| {
            let (m, b) = (&f.member, &f.binding);
            quote!(#m: #b)
        });
        let def_children = v.fields.iter().filter(|f| f.role == Role::Child).map(|f| {
            let (ty, b) = (&f.ty, &f.binding);
            quote_spanned!(ty.span()=> <#ty as ::ferrax::tree::PyTree>::treedef_into(#b, #def_ident);)
        });
        let statics = v.fields.iter().filter(|f| f.role == Role::Static).map(|f| {
            let (ty, b) = (&f.ty, &f.binding);
            quote_spanned!(ty.span()=> ::ferrax::tree::__private::static_field::<#ty>(#b))
        });
        let def = quote! {
            let Self { #(#binds,)* .. } = self;
            __def.structure(
                &__INFO[0],
                ::ferrax::tree::__private::statics([#(#statics),*]),
                |__def| { #(#def_children)* },
            )
        };
        (flatten, def)
    };

    let unflatten_body = if variants.is_empty() {
        quote!(::core::panic!("unflatten: `{}` has no variants", #name_str))
    } else {
        quote! {
            #[allow(unused_mut)]
            let mut __node = __def.expect_struct(&__INFO[0]);
            match __node.variant_index() {
                #(#unflatten_arms,)*
                __i => ::core::panic!("unflatten: `{}` has no variant #{}", #name_str, __i),
            }
        }
    };

    let n_infos = variants.len();
    Ok(quote! {
        const _: () = {
            // One description per variant, shared by `treedef_into` and `unflatten_from`.
            static __INFO: [::ferrax::tree::StructInfo; #n_infos] = [#(#infos),*];

            #[automatically_derived]
            impl #impl_generics ::ferrax::tree::PyTree for #name #ty_generics #where_clause {
                #[inline]
                fn flatten_into(&self, __leaves: &mut ::std::vec::Vec<::ferrax::Tensor>) {
                    #flatten_body
                }

                #[inline]
                fn treedef_into(&self, __def: &mut ::ferrax::tree::TreeDefBuilder) {
                    #def_body
                }

                fn unflatten_from(
                    __def: &::ferrax::tree::Subtree,
                    __leaves: &mut dyn ::core::iter::Iterator<Item = ::ferrax::Tensor>,
                ) -> Self {
                    #unflatten_body
                }
            }
        };
    })
}

fn struct_let(v: &Variant, each_child: impl Fn(&Field) -> TokenStream2) -> TokenStream2 {
    let binds = v.fields.iter().filter(|f| f.role != Role::Skip).map(|f| {
        let (m, b) = (&f.member, &f.binding);
        quote!(#m: #b)
    });
    let body = v
        .fields
        .iter()
        .filter(|f| f.role == Role::Child)
        .map(each_child);
    quote! {
        let Self { #(#binds,)* .. } = self;
        #(#body)*
    }
}

#[cfg(test)]
mod tests {
    use super::expand;

    fn expand_str(src: &str) -> Result<String, String> {
        let input: syn::DeriveInput = syn::parse_str(src).unwrap();
        expand(input)
            .map(|t| t.to_string())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn bounds_follow_how_parameters_are_used() {
        let out =
            expand_str("struct S<T = Tensor, K> { w: Vec<T>, #[pytree(static)] k: K }").unwrap();
        assert!(out.contains("T : :: ferrax :: tree :: PyTree"), "{out}");
        assert!(!out.contains("K : :: ferrax :: tree :: PyTree"), "{out}");
        assert!(out.contains("K : :: core :: hash :: Hash"), "{out}");
        // defaults are dropped from the impl's generics
        assert!(!out.contains("= Tensor"), "{out}");
    }

    #[test]
    fn skipped_generic_fields_need_default() {
        let out = expand_str("struct S<C> { w: Tensor, #[pytree(skip)] c: C }").unwrap();
        assert!(out.contains("C : :: core :: default :: Default"), "{out}");
        assert!(!out.contains("C : :: ferrax"), "{out}");
    }

    #[test]
    fn enums_get_one_description_per_variant() {
        let out = expand_str("enum E { A { w: Tensor }, B(Tensor, Tensor), C }").unwrap();
        assert!(out.contains("StructInfo ; 3usize"), "{out}");
        for v in ["\"A\"", "\"B\"", "\"C\""] {
            assert!(out.contains(v), "{out}");
        }
        assert!(out.contains("fields : & [\"0\" , \"1\"]"), "{out}");
    }

    #[test]
    fn attribute_errors() {
        let e = expand_str("struct S { #[pytree(static, skip)] a: u8 }").unwrap_err();
        assert!(e.contains("not both"), "{e}");
        let e = expand_str("struct S { #[pytree(frozen)] a: u8 }").unwrap_err();
        assert!(e.contains("expected `static` or `skip`"), "{e}");
        let e = expand_str("#[pytree(static)] struct S { a: u8 }").unwrap_err();
        assert!(e.contains("goes on fields"), "{e}");
        let e = expand_str("union U { a: u8 }").unwrap_err();
        assert!(e.contains("unions"), "{e}");
    }
}
