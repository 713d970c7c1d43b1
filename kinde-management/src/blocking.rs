//! The synchronous client (feature `blocking`), in the spirit of `reqwest::blocking`:
//! the same methods and builder setters as [`crate::Client`], and `send` without
//! `async`. It runs on the runtime of a `kinde_core::blocking::Kinde` (whose token cache
//! and connections it shares) and follows its `InAsync` policy: called inside an async
//! runtime, `send` returns an error instead of stalling it.
//!
//! ```no_run
//! fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let kinde = kinde_core::blocking::Kinde::from_env()?;
//!     let client = kinde_management::blocking::Client::from_kinde(&kinde)?;
//!     for user in client.get_users().page_size(100) {
//!         println!("{:?}", user?.email);
//!     }
//!     Ok(())
//! }
//! ```

use futures::StreamExt;
use futures::stream::BoxStream;
use progenitor_client::{Error, ResponseValue};

use crate::handwritten::logos::{Logo, LogoType};
use crate::types;

pub use crate::generated::blocking::builder;

/// The blocking Management API client. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Client {
    api: crate::Client,
    kinde: kinde_core::blocking::Kinde,
}

impl Client {
    /// The Management API of `kinde`'s business (see [`crate::Client::from_kinde`]).
    pub fn from_kinde(
        kinde: &kinde_core::blocking::Kinde,
    ) -> Result<Client, kinde_core::KindeError> {
        Ok(Client {
            api: crate::Client::from_kinde(kinde.runtime_client())?,
            kinde: kinde.clone(),
        })
    }

    /// The Management API of the business the environment names (see
    /// [`crate::Client::from_env`]).
    pub fn from_env() -> Result<Client, kinde_core::KindeError> {
        Self::from_kinde(&crate::config_from_env()?.into_blocking_client()?)
    }

    /// A blocking client over `api` (made with [`crate::Client::builder`] from
    /// `kinde.runtime_client()`, for another base URL or retry policy).
    pub fn from_async(api: crate::Client, kinde: &kinde_core::blocking::Kinde) -> Client {
        Client {
            api,
            kinde: kinde.clone(),
        }
    }

    /// The async client this one drives.
    pub fn api(&self) -> &crate::Client {
        &self.api
    }

    /// Run one operation's future on the client's runtime.
    pub(crate) fn run<T, E>(
        &self,
        fut: impl std::future::Future<Output = Result<T, Error<E>>>,
    ) -> Result<T, Error<E>> {
        self.kinde
            .block_on(fut)
            .unwrap_or_else(|e| Err(Error::Custom(e.to_string())))
    }

    pub(crate) fn page_iter<'a, T>(
        &'a self,
        stream: BoxStream<'a, Result<T, Error<types::ErrorResponse>>>,
    ) -> PageIter<'a, T> {
        PageIter {
            client: self,
            stream: Some(stream),
        }
    }

    /// Blocking twin of [`crate::Client::add_logo`].
    pub fn add_logo(
        &self,
        kind: LogoType,
        logo: &Logo,
    ) -> Result<ResponseValue<types::SuccessResponse>, Error<types::ErrorResponse>> {
        self.run(self.api.add_logo(kind, logo))
    }

    /// Blocking twin of [`crate::Client::add_organization_logo`].
    pub fn add_organization_logo(
        &self,
        org_code: &str,
        kind: LogoType,
        logo: &Logo,
    ) -> Result<ResponseValue<types::SuccessResponse>, Error<types::ErrorResponse>> {
        self.run(self.api.add_organization_logo(org_code, kind, logo))
    }

    /// Blocking twin of [`crate::Client::search_users`].
    pub fn search_users(&self) -> SearchUsers<'_> {
        SearchUsers {
            api: self.api.search_users(),
            client: self,
        }
    }
}

/// Every item of every page of a list operation (a blocking builder's `into_iter`).
/// An error is the last item.
pub struct PageIter<'a, T> {
    client: &'a Client,
    stream: Option<BoxStream<'a, Result<T, Error<types::ErrorResponse>>>>,
}

impl<T> std::fmt::Debug for PageIter<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PageIter").finish_non_exhaustive()
    }
}

impl<T> Iterator for PageIter<'_, T> {
    type Item = Result<T, Error<types::ErrorResponse>>;

    fn next(&mut self) -> Option<Self::Item> {
        let stream = self.stream.as_mut()?;
        let next = match self.client.kinde.block_on(stream.next()) {
            Ok(next) => next,
            Err(e) => Some(Err(Error::Custom(e.to_string()))),
        };
        if !matches!(next, Some(Ok(_))) {
            self.stream = None;
        }
        next
    }
}

/// Blocking twin of [`crate::SearchUsers`].
#[derive(Debug, Clone)]
pub struct SearchUsers<'a> {
    api: crate::SearchUsers<'a>,
    client: &'a Client,
}

impl<'a> SearchUsers<'a> {
    /// See [`crate::SearchUsers::page_size`].
    pub fn page_size(self, value: i64) -> Self {
        Self {
            api: self.api.page_size(value),
            client: self.client,
        }
    }

    /// See [`crate::SearchUsers::query`].
    pub fn query(self, value: impl Into<String>) -> Self {
        Self {
            api: self.api.query(value),
            client: self.client,
        }
    }

    /// See [`crate::SearchUsers::api_scopes`].
    pub fn api_scopes(self, value: impl Into<String>) -> Self {
        Self {
            api: self.api.api_scopes(value),
            client: self.client,
        }
    }

    /// See [`crate::SearchUsers::property`].
    pub fn property<I, V>(self, key: impl Into<String>, values: I) -> Self
    where
        I: IntoIterator<Item = V>,
        V: Into<String>,
    {
        Self {
            api: self.api.property(key, values),
            client: self.client,
        }
    }

    /// See [`crate::SearchUsers::starting_after`].
    pub fn starting_after(self, value: impl Into<String>) -> Self {
        Self {
            api: self.api.starting_after(value),
            client: self.client,
        }
    }

    /// See [`crate::SearchUsers::ending_before`].
    pub fn ending_before(self, value: impl Into<String>) -> Self {
        Self {
            api: self.api.ending_before(value),
            client: self.client,
        }
    }

    /// See [`crate::SearchUsers::expand`].
    pub fn expand(self, value: impl Into<String>) -> Self {
        Self {
            api: self.api.expand(value),
            client: self.client,
        }
    }

    /// Sends a `GET` request to `/api/v1/search/users`.
    pub fn send(
        self,
    ) -> Result<ResponseValue<types::SearchUsersResponse>, Error<types::ErrorResponse>> {
        self.client.run(self.api.send())
    }
}
