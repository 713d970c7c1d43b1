//! The built-in routes (`/login`, `/register`, `/create-org`, `/callback`, `/logout`,
//! `/portal`, `/switch-org`): one handler, which serves each through kinde-core's flows.

use axum::Router;
use axum::extract::{FromRef, Request, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use kinde_core::web::Route;

use crate::auth::KindeAuth;
use crate::resolve::signed_in;
use crate::session;

impl KindeAuth {
    /// The built-in routes at their configured paths, ready to `merge` into your router.
    pub fn routes<S>(&self) -> Router<S>
    where
        S: Clone + Send + Sync + 'static,
        KindeAuth: FromRef<S>,
    {
        let paths = self.paths();
        paths.warn_if_callback_unreachable(self.kinde().config(), false);
        paths.routes().fold(Router::new(), |router, (route, path)| {
            router.route(
                path,
                get(move |State(auth): State<KindeAuth>, request: Request| {
                    serve(route, auth, request)
                }),
            )
        })
    }
}

async fn serve(route: Route, auth: KindeAuth, request: Request) -> Response {
    let (mut parts, _body) = request.into_parts();
    let caller = if route.needs_caller() {
        match signed_in(&mut parts, &auth).await {
            Ok(caller) => Some(caller),
            Err(rejection) => return rejection.into_response(),
        }
    } else {
        None
    };
    let session = session::of(&parts.extensions);
    let reply = auth
        .kinde()
        .serve_route(
            route,
            parts.uri.query(),
            caller.as_ref(),
            session.as_ref().map_err(Clone::clone),
        )
        .await;
    crate::reply::response(reply)
}
