//! The end-to-end scenario table against kinde-actix under actix-session's own
//! `SessionMiddleware` (`KindeAuth::with_actix_session`): the mode for apps that already
//! use actix-session, actix-identity or `SessionExt`.

kinde_e2e::e2e_suite!(kinde_e2e::starters::actix_session_start);
