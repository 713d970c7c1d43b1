//! Sending a request built by hand (the operations the generator cannot express) the
//! way the generated ones are sent: the same token, retries and error type.

use progenitor_client::{ClientHooks, ClientInfo, Error, OperationInfo, ResponseValue};
use serde::de::DeserializeOwned;

use crate::{Client, types};

impl Client {
    /// Authenticate, send (with the 401 and 429 handling of [`crate::auth`]) and decode
    /// `request`: a 2xx body as `T`, a 4xx/5xx body as Kinde's error body.
    pub(crate) async fn send_built<T: DeserializeOwned>(
        &self,
        mut request: reqwest::Request,
        operation_id: &'static str,
    ) -> Result<ResponseValue<T>, Error<types::ErrorResponse>> {
        let info = OperationInfo { operation_id };
        request.headers_mut().insert(
            "api-version",
            reqwest::header::HeaderValue::from_static(<Client as ClientInfo<_>>::api_version()),
        );
        self.pre(&mut request, &info).await?;
        let response = self.exec(request, &info).await?;
        let status = response.status();
        if status.is_success() {
            ResponseValue::from_response(response).await
        } else if status.is_client_error() || status.is_server_error() {
            Err(Error::ErrorResponse(
                ResponseValue::from_response(response).await?,
            ))
        } else {
            Err(Error::UnexpectedResponse(response))
        }
    }

    /// `path` (which starts with `/`) under the base URL.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.baseurl)
    }
}
