//! The end-to-end scenario table, unchanged, against the actix adapter (`actix-app`
//! and its bearer-only API twin).

kinde_e2e::e2e_suite!(kinde_e2e::starters::actix_start);
