//! The built-in routes (`/login`, `/register`, `/create-org`, `/callback`, `/logout`,
//! `/portal`, `/switch-org`): one handler, which serves each through kinde-core's flows.

use actix_web::{HttpRequest, HttpResponse, ResponseError, web};
use kinde_core::web::{Reply, Route};

use crate::auth::KindeAuth;
use crate::resolve::signed_in;
use crate::session;

impl KindeAuth {
    /// Register the handle as app data and mount the built-in routes:
    /// `App::new().configure(kinde.configure())`, or inside a `web::scope`.
    pub fn configure(&self) -> impl Fn(&mut web::ServiceConfig) + Clone + 'static {
        let auth = self.clone();
        move |cfg: &mut web::ServiceConfig| {
            cfg.app_data(web::Data::new(auth.clone()));
            let paths = auth.paths();
            // Inside a `web::scope` the paths are relative to the scope.
            paths.warn_if_callback_unreachable(auth.kinde().config(), true);
            for (route, path) in paths.routes() {
                let mut resource = web::resource(path);
                if route == Route::Login {
                    // Named, so that rejections can ask actix where it is mounted (inside
                    // a `web::scope`, under the scope's prefix).
                    resource = resource.name(&auth.login_route_name());
                }
                cfg.service(resource.route(web::get().to(move |req| serve(route, req))));
            }
        }
    }
}

async fn serve(route: Route, req: HttpRequest) -> HttpResponse {
    let auth = match KindeAuth::of(&req) {
        Ok(auth) => auth,
        Err(e) => return crate::reply::response(Reply::route_error(&e, "/")),
    };
    let caller = if route.needs_caller() {
        match signed_in(&req).await {
            Ok(caller) => Some(caller),
            Err(rejection) => return rejection.error_response(),
        }
    } else {
        None
    };
    let session = session::of(&req, &auth);
    let reply = auth
        .kinde()
        .serve_route(
            route,
            Some(req.query_string()),
            caller.as_ref(),
            session.as_ref().map_err(Clone::clone),
        )
        .await;
    crate::reply::response(reply)
}
