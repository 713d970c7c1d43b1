//! The guards of what the signed-in caller may do: [`RequirePermission`] and
//! [`RequireRole`], declared once in kinde-core, taken as extractors
//! (`_: RequirePermission<ReadTodos>`) or as a layer on a sub-router:
//! `axum::middleware::from_extractor_with_state::<RequirePermission<ReadTodos>, _>(state)`.

use crate::extract::from_signed_in;

kinde_core::__declare_guards!(from_signed_in);
