//! The end-to-end scenario table, unchanged, against the actix adapter: `actix-app`,
//! its bearer-only API twin and the test apps of `kinde_e2e::starters::actix`.

kinde_e2e::e2e_suite!(kinde_e2e::starters::actix_start);
